// Preloaded into every bench child: report the process's peak resident memory when it exits.
process.on('exit', () => {
  process.stdout.write(`PEAK_RSS_KB ${process.resourceUsage().maxRSS}\n`);
});
