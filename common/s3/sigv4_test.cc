#include "common/s3/sigv4.h"

#include <catch2/catch.hpp>

#include "common/s3/s3_client.h"
#include "common/s3/xml.h"

namespace tusk::s3 {
namespace {

// The examples from AWS's "Authenticating Requests (AWS Signature Version 4)"
// page of the Amazon S3 API reference.
const Credentials kAwsExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const char kAmzDate[] = "20130524T000000Z";
const char kEmpty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningInput Example(std::string method, std::string path, Pairs query, Pairs extra, std::string payload_hash) {
  SigningInput in{std::move(method), std::move(path), std::move(query), std::move(extra), payload_hash};
  in.headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
  in.headers.emplace_back("x-amz-date", kAmzDate);
  in.headers.emplace_back("x-amz-content-sha256", payload_hash);
  return in;
}

std::string SignatureOf(const std::string& auth) { return auth.substr(auth.find("Signature=") + 10); }

TEST_CASE("SigV4 GET object with Range matches the AWS example") {
  auto in = Example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, kEmpty);
  CHECK(CanonicalRequest(in) ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex(CanonicalRequest(in)) == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  std::string auth = Authorization(in, kAwsExample, "us-east-1", kAmzDate);
  CHECK(auth ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("SigV4 PUT object with a body and a special character matches the AWS example") {
  const std::string body = "Welcome to Amazon S3.";
  REQUIRE(Sha256Hex(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto in = Example("PUT", "/test$file.text", {},
                    {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                    Sha256Hex(body));
  CHECK(CanonicalRequest(in).substr(0, 25) == "PUT\n/test%24file.text\n\nda");
  CHECK(SignatureOf(Authorization(in, kAwsExample, "us-east-1", kAmzDate)) ==
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("SigV4 query parameters without a value match the AWS lifecycle example") {
  auto in = Example("GET", "/", {{"lifecycle", ""}}, {}, kEmpty);
  CHECK(SignatureOf(Authorization(in, kAwsExample, "us-east-1", kAmzDate)) ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_CASE("SigV4 sorted query parameters match the AWS list-objects example") {
  auto in = Example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, kEmpty);
  CHECK(CanonicalQuery(in.query) == "max-keys=2&prefix=J");
  CHECK(SignatureOf(Authorization(in, kAwsExample, "us-east-1", kAmzDate)) ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("URI encoding keeps unreserved characters and encodes the rest upper-case") {
  CHECK(UriEncode("a b/c~d+e=f", true) == "a%20b/c~d%2Be%3Df");
  CHECK(UriEncode("a/b", false) == "a%2Fb");
  CHECK(CanonicalQuery({{"continuation-token", "1/x=="}}) == "continuation-token=1%2Fx%3D%3D");
}

TEST_CASE("a session token is signed like any x-amz header") {
  auto plain = Example("GET", "/k", {}, {}, kEmpty);
  auto with_token = plain;
  with_token.headers.emplace_back("x-amz-security-token", "TOKEN");
  CHECK(SignedHeaderNames(with_token.headers) == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  CHECK(Authorization(plain, kAwsExample, "us-east-1", kAmzDate) !=
        Authorization(with_token, kAwsExample, "us-east-1", kAmzDate));
}

TEST_CASE("ListObjectsV2 pages parse keys, prefixes and the continuation token") {
  const char* xml =
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
      "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>tok/en==</NextContinuationToken>"
      "<Contents><Key>p/a&amp;b</Key><LastModified>2026-11-25T10:53:11.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>"
      "<Contents><Key>p/c</Key><Size>3</Size></Contents>"
      "<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes></ListBucketResult>";
  ListPage page = ParseListPage(xml);
  REQUIRE(page.listing.objects.size() == 2);
  CHECK(page.listing.objects[0].key == "p/a&b");
  CHECK(page.listing.objects[0].size == 12);
  CHECK(page.listing.objects[0].etag == "\"abc\"");
  CHECK(page.listing.common_prefixes == std::vector<std::string>{"p/d/"});
  CHECK(page.truncated);
  CHECK(page.next_token == "tok/en==");
}

TEST_CASE("S3 error replies become errors that name the fix") {
  auto err = [](int status, const std::string& code, const std::string& extra = "") {
    return ErrorFromReply(status, "<Error><Code>" + code + "</Code><Message>m</Message>" + extra + "</Error>",
                          "PUT s3://b/k", "us-east-1");
  };
  CHECK(err(403, "InvalidAccessKeyId").code() == StatusCode::kPermissionDenied);
  CHECK(err(403, "SignatureDoesNotMatch").message().find("s3Credentials") != std::string::npos);
  CHECK(err(404, "NoSuchBucket").message().find("bucket does not exist") != std::string::npos);
  CHECK(err(404, "NoSuchKey").code() == StatusCode::kNotFound);
  Status region = err(400, "AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>");
  CHECK(region.code() == StatusCode::kInvalidArgument);
  CHECK(region.message().find("eu-west-1") != std::string::npos);
  CHECK(region.message().find("us-east-1") != std::string::npos);
  CHECK(IsRetriable(503, "<Error><Code>SlowDown</Code></Error>"));
  CHECK(IsRetriable(500, ""));
  CHECK(!IsRetriable(403, "<Error><Code>AccessDenied</Code></Error>"));
  CHECK(XmlRoot("<?xml version=\"1.0\"?>\n<Error><Code>x</Code></Error>") == "Error");
}

}  // namespace
}  // namespace tusk::s3
