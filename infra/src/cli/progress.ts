/**
 * A one-line progress bar on a terminal (`[#####-----] 50% 500/1000 120/s ETA 4s`), redrawn at most every
 * 100 ms; elsewhere (a pipe, a CI log) a plain line every 10%.
 */
export function progressBar(
  stream: NodeJS.WriteStream,
  label: string,
): { update(done: number, total: number): void; end(): void } {
  const started = Date.now();
  let drawn = 0;
  let lastDecile = -1;
  const line = (done: number, total: number) => {
    const fraction = total === 0 ? 1 : done / total;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${done}/${total} ${Math.round(rate)}/s ETA ${eta}s`;
  };
  return {
    update(done, total) {
      if (stream.isTTY) {
        if (done < total && Date.now() - drawn < 100) return;
        drawn = Date.now();
        stream.write(`\r${line(done, total)}\x1b[K`);
        return;
      }
      const decile = Math.floor((done / Math.max(1, total)) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${line(done, total)}\n`);
    },
    end() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
