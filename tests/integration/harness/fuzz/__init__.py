"""The network fuzzer against real servers on real sockets."""
