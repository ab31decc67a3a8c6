"""The cleanup checks themselves: each kind of leftover the other modules
look for is planted by hand (an lk-* network namespace with a process in it,
an lk-* host link, a mount under the directory) and must be reported, then
removed again. No localkube runs here."""
import os
import subprocess
import tempfile
import unittest

from harness import wait_for
from leftovers import Footprint, alive
from lkcase import require_environment, take_machine

NETNS = "lk-e2echk"
LINK = "lk-e2echk0"


def run(*argv):
    subprocess.run(list(argv), check=True, capture_output=True, timeout=30)


class LeftoverChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_environment()

    def setUp(self):
        self.addCleanup(take_machine().close)
        self.dir = tempfile.mkdtemp(prefix="localkube-e2e-check-")
        self.addCleanup(os.rmdir, self.dir)

    def test_each_kind_of_leftover_is_reported(self):
        footprint = Footprint(self.dir)
        # Another run's traces may be on the machine; ours are not there yet.
        before = "\n".join(footprint.leftovers())
        for planted in (NETNS, LINK, os.path.realpath(self.dir)):
            self.assertNotIn(planted, before)

        run("ip", "netns", "add", NETNS)
        self.addCleanup(subprocess.run, ["ip", "netns", "delete", NETNS], capture_output=True, timeout=30)
        sleeper = subprocess.Popen(["ip", "netns", "exec", NETNS, "sleep", "300"])
        self.addCleanup(sleeper.wait, 30)
        self.addCleanup(sleeper.kill)
        run("ip", "link", "add", LINK, "type", "veth", "peer", "name", LINK + "p")
        self.addCleanup(subprocess.run, ["ip", "link", "delete", LINK], capture_output=True, timeout=30)
        mount_point = os.path.join(self.dir, "mnt")
        os.mkdir(mount_point)
        self.addCleanup(os.rmdir, mount_point)
        run("mount", "-t", "tmpfs", "e2echk", mount_point)
        self.addCleanup(run, "umount", mount_point)
        in_dir = subprocess.Popen(["sleep", "300"], cwd=mount_point)
        self.addCleanup(in_dir.wait, 30)
        self.addCleanup(in_dir.kill)

        wait_for(lambda: _in_netns(sleeper.pid, NETNS), timeout=10, what="sleep inside the namespace")
        footprint.record()
        report = "\n".join(footprint.leftovers())
        self.assertIn(NETNS, report)
        self.assertIn(LINK, report)
        self.assertIn(f"mounts under {os.path.realpath(self.dir)}", report)
        self.assertIn(f"process {sleeper.pid} ", report)
        self.assertIn(f"process {in_dir.pid} ", report)

        # A process stays reported after its namespace loses its name.
        run("ip", "netns", "delete", NETNS)
        self.assertIn(f"process {sleeper.pid} ", "\n".join(footprint.leftovers()))
        sleeper.kill()
        sleeper.wait(30)
        self.assertFalse(alive(sleeper.pid))
        self.assertNotIn(f"process {sleeper.pid} ", "\n".join(footprint.leftovers()))


def _in_netns(pid, name):
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return False


if __name__ == "__main__":
    unittest.main()
