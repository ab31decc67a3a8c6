#include "common/backup/compression.h"

#include <bzlib.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

namespace tusk::backup {
namespace {

constexpr size_t kChunk = 256 << 10;

class Identity : public Transform {
 public:
  Status Write(std::string_view in, std::string* out) override {
    out->append(in);
    return OkStatus();
  }
  Status Finish(std::string*) override { return OkStatus(); }
};

// gzip members (what Python's gzip module writes); level 1 because WAL is
// archived on the critical path and any level decompresses the same way.
class Gzip : public Transform {
 public:
  explicit Gzip(bool compress) : compress_(compress) {
    std::memset(&z_, 0, sizeof z_);
    ok_ = compress ? deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK
                   : inflateInit2(&z_, 15 + 32) == Z_OK;
  }
  ~Gzip() override {
    if (compress_) deflateEnd(&z_);
    else inflateEnd(&z_);
  }
  Status Write(std::string_view in, std::string* out) override { return Run(in, out, false); }
  Status Finish(std::string* out) override { return Run({}, out, true); }

 private:
  Status Run(std::string_view in, std::string* out, bool finish) {
    if (!ok_) return InternalError("zlib initialisation failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    while (true) {
      size_t old = out->size();
      out->resize(old + kChunk);
      z_.next_out = reinterpret_cast<Bytef*>(out->data() + old);
      z_.avail_out = kChunk;
      int rc;
      if (compress_) {
        rc = deflate(&z_, finish ? Z_FINISH : Z_NO_FLUSH);
      } else {
        rc = ended_ ? Z_STREAM_END : inflate(&z_, Z_NO_FLUSH);
        if (rc == Z_STREAM_END && z_.avail_in > 0) {  // another gzip member follows
          ended_ = false;
          inflateReset(&z_);
          rc = Z_OK;
        } else if (rc == Z_STREAM_END) {
          ended_ = true;
        }
      }
      out->resize(old + kChunk - z_.avail_out);
      if (rc == Z_STREAM_ERROR || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR || rc == Z_NEED_DICT) {
        return DataLossError("gzip data is corrupt");
      }
      if (compress_) {
        if (finish ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) return OkStatus();
      } else {
        if (finish) return ended_ ? OkStatus() : DataLossError("gzip data ends early");
        if (z_.avail_in == 0 && z_.avail_out != 0) return OkStatus();
        if (rc == Z_BUF_ERROR && z_.avail_in == 0) return OkStatus();
      }
    }
  }
  bool compress_;
  bool ok_ = false;
  bool ended_ = false;
  z_stream z_;
};

class Bzip2 : public Transform {
 public:
  explicit Bzip2(bool compress) : compress_(compress) {
    std::memset(&b_, 0, sizeof b_);
    ok_ = compress ? BZ2_bzCompressInit(&b_, 9, 0, 0) == BZ_OK : BZ2_bzDecompressInit(&b_, 0, 0) == BZ_OK;
  }
  ~Bzip2() override {
    if (compress_) BZ2_bzCompressEnd(&b_);
    else BZ2_bzDecompressEnd(&b_);
  }
  Status Write(std::string_view in, std::string* out) override { return Run(in, out, false); }
  Status Finish(std::string* out) override { return Run({}, out, true); }

 private:
  Status Run(std::string_view in, std::string* out, bool finish) {
    if (!ok_) return InternalError("bzip2 initialisation failed");
    b_.next_in = const_cast<char*>(in.data());
    b_.avail_in = static_cast<unsigned>(in.size());
    while (true) {
      size_t old = out->size();
      out->resize(old + kChunk);
      b_.next_out = out->data() + old;
      b_.avail_out = kChunk;
      int rc;
      if (compress_) {
        rc = BZ2_bzCompress(&b_, finish ? BZ_FINISH : BZ_RUN);
      } else if (ended_) {
        rc = BZ_STREAM_END;
      } else {
        rc = BZ2_bzDecompress(&b_);
        if (rc == BZ_STREAM_END && b_.avail_in > 0) {  // concatenated streams
          BZ2_bzDecompressEnd(&b_);
          BZ2_bzDecompressInit(&b_, 0, 0);
          rc = BZ_OK;
        } else if (rc == BZ_STREAM_END) {
          ended_ = true;
        }
      }
      out->resize(old + kChunk - b_.avail_out);
      if (rc < 0) return DataLossError("bzip2 data is corrupt (code " + std::to_string(rc) + ")");
      if (compress_) {
        if (finish ? rc == BZ_STREAM_END : (b_.avail_in == 0 && b_.avail_out != 0)) return OkStatus();
      } else {
        if (finish) return ended_ ? OkStatus() : DataLossError("bzip2 data ends early");
        if (b_.avail_in == 0 && b_.avail_out != 0) return OkStatus();
      }
    }
  }
  bool compress_;
  bool ok_ = false;
  bool ended_ = false;
  bz_stream b_;
};

class Lz4Compress : public Transform {
 public:
  Lz4Compress() { ok_ = !LZ4F_isError(LZ4F_createCompressionContext(&ctx_, LZ4F_VERSION)); }
  ~Lz4Compress() override { LZ4F_freeCompressionContext(ctx_); }
  Status Write(std::string_view in, std::string* out) override {
    if (!ok_) return InternalError("lz4 initialisation failed");
    if (!started_) {
      size_t old = out->size();
      out->resize(old + LZ4F_HEADER_SIZE_MAX);
      size_t n = LZ4F_compressBegin(ctx_, out->data() + old, LZ4F_HEADER_SIZE_MAX, nullptr);
      if (LZ4F_isError(n)) return InternalError(LZ4F_getErrorName(n));
      out->resize(old + n);
      started_ = true;
    }
    while (!in.empty()) {
      size_t take = std::min(in.size(), kChunk);
      size_t bound = LZ4F_compressBound(take, nullptr);
      size_t old = out->size();
      out->resize(old + bound);
      size_t n = LZ4F_compressUpdate(ctx_, out->data() + old, bound, in.data(), take, nullptr);
      if (LZ4F_isError(n)) return InternalError(LZ4F_getErrorName(n));
      out->resize(old + n);
      in.remove_prefix(take);
    }
    return OkStatus();
  }
  Status Finish(std::string* out) override {
    if (!started_) RETURN_IF_ERROR(Write({}, out));
    size_t bound = LZ4F_compressBound(0, nullptr) + 16;
    size_t old = out->size();
    out->resize(old + bound);
    size_t n = LZ4F_compressEnd(ctx_, out->data() + old, bound, nullptr);
    if (LZ4F_isError(n)) return InternalError(LZ4F_getErrorName(n));
    out->resize(old + n);
    return OkStatus();
  }

 private:
  LZ4F_cctx* ctx_ = nullptr;
  bool ok_ = false;
  bool started_ = false;
};

class Lz4Decompress : public Transform {
 public:
  Lz4Decompress() { ok_ = !LZ4F_isError(LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION)); }
  ~Lz4Decompress() override { LZ4F_freeDecompressionContext(ctx_); }
  Status Write(std::string_view in, std::string* out) override {
    if (!ok_) return InternalError("lz4 initialisation failed");
    while (!in.empty()) {
      size_t old = out->size();
      out->resize(old + kChunk);
      size_t dst = kChunk, src = in.size();
      size_t hint = LZ4F_decompress(ctx_, out->data() + old, &dst, in.data(), &src, nullptr);
      if (LZ4F_isError(hint)) return DataLossError(std::string("lz4 data is corrupt: ") + LZ4F_getErrorName(hint));
      out->resize(old + dst);
      in.remove_prefix(src);
      last_hint_ = hint;
      if (src == 0 && dst == 0) break;
    }
    return OkStatus();
  }
  Status Finish(std::string* out) override {
    // A hint of 0 means the frame is decoded and all of it was handed out.
    if (last_hint_ == 0) return OkStatus();
    while (true) {
      size_t old = out->size();
      out->resize(old + kChunk);
      size_t dst = kChunk, src = 0;
      size_t hint = LZ4F_decompress(ctx_, out->data() + old, &dst, nullptr, &src, nullptr);
      out->resize(old + dst);
      if (LZ4F_isError(hint)) return DataLossError("lz4 data is corrupt");
      last_hint_ = hint;
      if (dst == 0) break;
    }
    return last_hint_ == 0 ? OkStatus() : DataLossError("lz4 data ends early");
  }

 private:
  LZ4F_dctx* ctx_ = nullptr;
  bool ok_ = false;
  size_t last_hint_ = 1;
};

class Zstd : public Transform {
 public:
  explicit Zstd(bool compress) : compress_(compress) {
    if (compress) {
      c_ = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, 1);
    } else {
      d_ = ZSTD_createDCtx();
    }
  }
  ~Zstd() override {
    ZSTD_freeCCtx(c_);
    ZSTD_freeDCtx(d_);
  }
  Status Write(std::string_view in, std::string* out) override { return Run(in, out, false); }
  Status Finish(std::string* out) override { return Run({}, out, true); }

 private:
  Status Run(std::string_view in, std::string* out, bool finish) {
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    while (true) {
      size_t old = out->size();
      out->resize(old + kChunk);
      ZSTD_outBuffer ob{out->data() + old, kChunk, 0};
      size_t rc = compress_ ? ZSTD_compressStream2(c_, &ob, &ib, finish ? ZSTD_e_end : ZSTD_e_continue)
                            : ZSTD_decompressStream(d_, &ob, &ib);
      out->resize(old + ob.pos);
      if (ZSTD_isError(rc)) return DataLossError(std::string("zstd: ") + ZSTD_getErrorName(rc));
      if (compress_) {
        if (finish ? rc == 0 : (ib.pos == ib.size && ob.pos < ob.size)) return OkStatus();
      } else {
        // 0 = a frame ended and is fully flushed; asking again would only
        // return the header size of a next frame.
        if (rc == 0 && ib.pos == ib.size) {
          remaining_ = 0;
          return OkStatus();
        }
        if (!finish) remaining_ = rc;
        if (ib.pos == ib.size && ob.pos < ob.size) {
          if (finish && remaining_ != 0) return DataLossError("zstd data ends early");
          return OkStatus();
        }
      }
    }
  }
  bool compress_;
  ZSTD_CCtx* c_ = nullptr;
  ZSTD_DCtx* d_ = nullptr;
  size_t remaining_ = 0;
};

}  // namespace

StatusOr<Codec> ParseCodec(std::string_view name) {
  if (name.empty() || name == "none") return Codec::kNone;
  if (name == "gzip") return Codec::kGzip;
  if (name == "bzip2") return Codec::kBzip2;
  if (name == "lz4") return Codec::kLz4;
  if (name == "zstd") return Codec::kZstd;
  if (name == "snappy" || name == "xz") {
    return UnimplementedError("compression '" + std::string(name) + "' is not supported; use gzip, bzip2, lz4 or zstd");
  }
  return InvalidArgumentError("unknown compression '" + std::string(name) + "'; use gzip, bzip2, lz4 or zstd");
}

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kGzip: return "gzip";
    case Codec::kBzip2: return "bzip2";
    case Codec::kLz4: return "lz4";
    case Codec::kZstd: return "zstd";
    case Codec::kNone: break;
  }
  return "none";
}

std::string_view CodecExtension(Codec codec) {
  switch (codec) {
    case Codec::kGzip: return ".gz";
    case Codec::kBzip2: return ".bz2";
    case Codec::kLz4: return ".lz4";
    case Codec::kZstd: return ".zst";
    case Codec::kNone: break;
  }
  return "";
}

std::optional<Codec> CodecFromExtension(std::string_view ext) {
  if (ext.empty()) return Codec::kNone;
  if (ext == ".gz") return Codec::kGzip;
  if (ext == ".bz2") return Codec::kBzip2;
  if (ext == ".lz4") return Codec::kLz4;
  if (ext == ".zst") return Codec::kZstd;
  return std::nullopt;
}

StatusOr<std::unique_ptr<Transform>> MakeCompressor(Codec codec) {
  switch (codec) {
    case Codec::kNone: return std::unique_ptr<Transform>(new Identity);
    case Codec::kGzip: return std::unique_ptr<Transform>(new Gzip(true));
    case Codec::kBzip2: return std::unique_ptr<Transform>(new Bzip2(true));
    case Codec::kLz4: return std::unique_ptr<Transform>(new Lz4Compress);
    case Codec::kZstd: return std::unique_ptr<Transform>(new Zstd(true));
  }
  return InvalidArgumentError("unknown codec");
}

StatusOr<std::unique_ptr<Transform>> MakeDecompressor(Codec codec) {
  switch (codec) {
    case Codec::kNone: return std::unique_ptr<Transform>(new Identity);
    case Codec::kGzip: return std::unique_ptr<Transform>(new Gzip(false));
    case Codec::kBzip2: return std::unique_ptr<Transform>(new Bzip2(false));
    case Codec::kLz4: return std::unique_ptr<Transform>(new Lz4Decompress);
    case Codec::kZstd: return std::unique_ptr<Transform>(new Zstd(false));
  }
  return InvalidArgumentError("unknown codec");
}

StatusOr<std::string> Compress(Codec codec, std::string_view in) {
  if (codec == Codec::kNone) return std::string(in);
  ASSIGN_OR_RETURN(auto t, MakeCompressor(codec));
  std::string out;
  out.reserve(in.size() / 2);
  RETURN_IF_ERROR(t->Write(in, &out));
  RETURN_IF_ERROR(t->Finish(&out));
  return out;
}

StatusOr<std::string> Decompress(Codec codec, std::string_view in) {
  if (codec == Codec::kNone) return std::string(in);
  ASSIGN_OR_RETURN(auto t, MakeDecompressor(codec));
  std::string out;
  RETURN_IF_ERROR(t->Write(in, &out));
  RETURN_IF_ERROR(t->Finish(&out));
  return out;
}

}  // namespace tusk::backup
