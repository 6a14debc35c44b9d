"""
Deploy time for N controllers on separate hosts, on paper, from what the benchmark measured
on one machine (part 1, ``deploy.json``).

Assumptions (the performance page states them with the table):
- every node has a CPU of its own: the minion jobs of one phase run side by side, so a phase
  costs one job's latency (the floor's per-phase time at N = 1: publish, render, return)
  plus one job's own CPU (the formula's work on a node);
- the salt-master is shared: it spends ``m`` CPU-seconds per minion job, one after another
  on ``master_cores`` cores (its worker threads);
- the network is as fast as loopback (measured).

    T(N) = phases(N) * (latency + job_cpu) + m * jobs(N) / master_cores
    jobs(N) = 2N (prepare on every node, the primary, the N - 1 others); phases(1) = 2

On the measuring machine every node shares its ``cores``: there the model is
``max(T(N), all CPU / cores)``, which the table checks against the measured N.
"""


def inputs(deploy):
    """The model's inputs from the N = 1 measurements (nothing competes there)."""
    one = deploy["sizes"]["1"]
    jobs = one["deploy_jobs"]["minion_jobs"]
    master_cpu = one["deploy_master_cpu_per_minion"]  # N = 1: per minion = all of it
    floor_phases = one["floor_jobs"]["state_jobs"]
    return {
        "latency": one["floor_seconds"] / floor_phases,
        "job_cpu": max(one["deploy_cpu_seconds"] - master_cpu, 0.0) / jobs,
        "master_cpu_per_job": master_cpu / jobs,
    }


def jobs(n):
    return 2 * n


def phases(n):
    return 2 if n == 1 else 3


def separate_hosts(model, n, master_cores=1):
    """Seconds to deploy N controllers, each on its own host."""
    per_phase = model["latency"] + model["job_cpu"]
    return phases(n) * per_phase + model["master_cpu_per_job"] * jobs(n) / master_cores


def one_machine(model, n, cores):
    """The same N on one machine of ``cores`` CPUs (what the benchmark measures)."""
    cpu = jobs(n) * (model["job_cpu"] + model["master_cpu_per_job"])
    return max(separate_hosts(model, n, master_cores=cores), cpu / cores)


def table(deploy, cores, sizes=(3, 12, 50)):
    """``(rows on paper, rows checked against the measured N)``."""
    model = inputs(deploy)
    paper = [[n, jobs(n), phases(n), round(separate_hosts(model, n), 1)] for n in sizes]
    checked = []
    for key in sorted(deploy["sizes"], key=int):
        n, measured = int(key), deploy["sizes"][key]["deploy_seconds"]
        predicted = one_machine(model, n, cores)
        checked.append([n, round(predicted, 1), measured, round(measured / predicted, 2)])
    return model, paper, checked
