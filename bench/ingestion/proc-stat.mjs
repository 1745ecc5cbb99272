// CPU counters from /proc (Linux): per process and for the whole machine.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep the Linux default
}

/** User + system CPU seconds consumed so far by a process (all its threads), or NaN. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

/**
 * Pid of the process listening on TCP `port` (e.g. the nats-server of NATS_URL: tests may run
 * other nats-servers on the same machine), or undefined. Reads /proc/net/tcp{,6} for the socket's
 * inode, then finds the process holding it.
 */
export function pidListeningOn(port) {
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(local.split(':')[1] ?? '', 16) === port) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds = [];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return Number(entry);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

/** Machine-wide CPU jiffies: { busy, total }. */
export function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** Snapshot of the counters of several processes plus the machine. */
export function sample(pids) {
  const processes = {};
  for (const [name, pid] of Object.entries(pids)) {
    if (pid !== undefined) processes[name] = processCpuSeconds(pid);
  }
  // `mono`: CLOCK_MONOTONIC in µs, the clock of V8 CPU profiles (to cut them to the window).
  return {
    at: performance.now(),
    mono: Number(process.hrtime.bigint() / 1000n),
    processes,
    machine: machineCpu(),
  };
}

/** CPU used between two snapshots, in cores (CPU seconds per wall second), plus machine busy %. */
export function cpuBetween(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const cores = {};
  for (const name of Object.keys(a.processes)) {
    cores[name] = (b.processes[name] - a.processes[name]) / seconds;
  }
  const busy = b.machine.busy - a.machine.busy;
  const total = b.machine.total - a.machine.total;
  return { seconds, cores, machineBusy: total > 0 ? busy / total : NaN, window: [a.mono, b.mono] };
}
