"""Network lab: a server and a client in two network namespaces joined by a veth pair.

    python -m bench.netlab check mountain-2g     # measure the link against theory
    python -m bench.netlab check --all
    python -m bench.netlab shell 3g-poor -- CMD  # run CMD in the client namespace

Bandwidth is ``tc tbf`` on each end of the veth (server egress = down, client egress =
up), loss an nftables ``numgen random mod 100 < N drop`` rule on each namespace's
input, latency (RTT/2 each way) and the link drops of ``flapping`` a user-space TCP
relay (``bench.netlab.relay``) in the server namespace. Without namespaces or ``tc``
the lab falls back to a loopback relay that emulates everything in user space, and
every result says so (``emulated: true``).
"""

from bench.netlab.profiles import PROFILES, Profile, get_profile

__all__ = ["PROFILES", "Profile", "get_profile"]
