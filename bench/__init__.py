"""The dr.asr benchmark suite: protect, rerun, drill, failover + commit and failback at 10/100/500 VMs against a
private lab, with the lower bound of the simulated ASR jobs and a naive SDK baseline. See bench/README.md."""
