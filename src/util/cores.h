// util/cores: how many CPUs this process may run on — what "every core" (threads 0) means.
//
// The affinity mask, not the machine's CPU count: under `taskset`, a container's cpuset or a Slurm
// allocation, std::thread::hardware_concurrency() still counts every CPU of the machine, and
// "every core" then oversubscribes the ones this process has.
#pragma once

namespace paramscale {

// CPUs in this process's affinity mask; the online CPUs where the mask cannot be read; at least 1.
int usable_cores();

}  // namespace paramscale
