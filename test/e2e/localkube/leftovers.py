"""What a pod-running localkube leaves on the machine, looked up from the host
side only (ip, /proc), so a test checks `localkube stop` instead of trusting it.

localkube names everything it creates on the host `lk-*` (network
namespaces, links); pods are processes inside those network namespaces. A
Footprint remembers the namespaces it saw while the cluster ran, so a process
still inside one is found even after the namespace lost its name.
"""
import os
import subprocess

from harness import mounts_under

PREFIX = "lk-"


def lk_netns():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.startswith(PREFIX))


def lk_links():
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, timeout=30).stdout
    names = []
    for line in out.splitlines():
        # "7: lk-h0@if6: <BROADCAST,...> ..."
        parts = line.split(":", 2)
        if len(parts) < 3:
            continue
        name = parts[1].strip().split("@")[0]
        if name.startswith(PREFIX):
            names.append(name)
    return sorted(names)


def _netns_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _readlink(pid, what):
    try:
        return os.readlink(f"/proc/{pid}/{what}")
    except OSError:
        return ""


def _stat_fields(pid):
    """/proc/<pid>/stat after "(comm)": state ppid pgrp session ... starttime (index 19)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2:].split()
    except (OSError, ValueError):
        return []


def _session(pid):
    fields = _stat_fields(pid)
    return int(fields[3]) if len(fields) > 3 else None


def _identity(pid):
    """pid plus start time, so a reused pid is not mistaken for the old process."""
    fields = _stat_fields(pid)
    return (pid, fields[19]) if len(fields) > 19 else None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def pids_with_env(name, value):
    """Processes whose environment holds name=value (how tests find a pod's processes)."""
    needle = f"{name}={value}".encode()
    found = []
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(pid)
        except OSError:
            continue
    return sorted(found)


def alive(pid):
    """True for a process that exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Footprint:
    """The host-side traces of one localkube directory."""

    def __init__(self, directory):
        self.dir = os.path.realpath(directory)
        self.netns_ids = {}   # (dev, inode) -> the name it had
        self.daemon_pids = set()
        self.pod_processes = set()  # _identity() of processes seen in those namespaces

    def record(self, daemon_pid=None):
        """Remembers the daemon and the lk-* namespaces (and who is in them) now."""
        if daemon_pid:
            self.daemon_pids.add(daemon_pid)
        for name in lk_netns():
            ident = _netns_id(f"/run/netns/{name}")
            if ident:
                self.netns_ids[ident] = name
        for pid in _pids():
            if _netns_id(f"/proc/{pid}/ns/net") in self.netns_ids:
                self.pod_processes.add(_identity(pid))

    def leftovers(self):
        """A description of everything still there; empty when clean."""
        left = []
        names = lk_netns()
        if names:
            left.append(f"network namespaces (ip netns list): {names}")
        links = lk_links()
        if links:
            left.append(f"host links (ip -o link): {links}")
        mounts = mounts_under(self.dir)
        if mounts:
            left.append(f"mounts under {self.dir}: {mounts}")
        for pid in sorted(self.daemon_pids):
            if alive(pid):
                left.append(f"localkube daemon pid {pid} still running: {_cmdline(pid)!r}")
        known_ns = dict(self.netns_ids)
        for name in names:
            ident = _netns_id(f"/run/netns/{name}")
            if ident:
                known_ns[ident] = name
        me = os.getpid()
        for pid in _pids():
            if pid == me or not alive(pid):
                continue
            why = []
            ns = _netns_id(f"/proc/{pid}/ns/net")
            if ns in known_ns:
                why.append(f"in network namespace {known_ns[ns]}")
            for what in ("cwd", "root", "exe"):
                target = _readlink(pid, what)
                if target == self.dir or target.startswith(self.dir + "/"):
                    why.append(f"{what} -> {target}")
            if _session(pid) in self.daemon_pids:
                why.append("in the daemon's session")
            if _identity(pid) in self.pod_processes:
                why.append("ran in a pod")
            if why:
                left.append(f"process {pid} {_cmdline(pid)!r}: {', '.join(why)}")
        return left
