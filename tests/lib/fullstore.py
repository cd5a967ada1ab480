"""A certificate store whose install fails for real, for the resume tests (stdlib only).

As root the command runs in a private mount namespace with a 4 KiB tmpfs mounted over the store's certs
directory: the first file written there takes the only page and the next one fails with "No space left on
device", exactly as on a full disk. The tmpfs disappears with the namespace, so the real directory is left
as it was. Without root the certs directory is made read-only (0555) while the command runs, which fails the
install with "Permission denied".
"""
import contextlib
import os
import subprocess

TMPFS_SCRIPT = 'mkdir -p "$0" && mount -t tmpfs -o size=4k,mode=0700 certlink-full "$0" && exec "$@"'


def can_fill():
    """Whether this process can run a command in a private mount namespace (root)."""
    return os.geteuid() == 0 and subprocess.run(["unshare", "--mount", "true"]).returncode == 0


@contextlib.contextmanager
def failing(certs_dir, argv):
    """Yield ARGV changed so that writing into CERTS_DIR fails while it runs."""
    os.makedirs(certs_dir, exist_ok=True)
    if can_fill():
        yield ["unshare", "--mount", "--propagation", "private", "sh", "-c", TMPFS_SCRIPT, certs_dir] + list(argv)
        return
    mode = os.stat(certs_dir).st_mode & 0o7777
    os.chmod(certs_dir, 0o555)
    try:
        yield list(argv)
    finally:
        os.chmod(certs_dir, mode)


def failure_words():
    """What the error message says when the install fails this way."""
    return "No space left on device" if can_fill() else "Permission denied"
