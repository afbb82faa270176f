/** A small line chart of recent values; the newest value is also given as text. */
export function Chart({
  title,
  values,
  unit,
}: {
  title: string;
  values: (number | undefined)[];
  unit: string;
}) {
  const width = 220;
  const height = 60;
  // One point is drawn as a flat line across, so a chart is never blank.
  const known = values.length === 1 ? [values[0] ?? 0, values[0] ?? 0] : values.map((v) => v ?? 0);
  const max = Math.max(...known, 1e-9);
  const step = known.length > 1 ? width / (known.length - 1) : width;
  const points = known
    .map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 4) - 2).toFixed(1)}`)
    .join(" ");
  const last = values.at(-1);
  const shown =
    last === undefined ? "–" : last < 10 ? last.toFixed(2) : Math.round(last).toString();
  return (
    <figure class="chart">
      <figcaption>
        {title}: <strong>{shown}</strong> {unit}
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${title} over the last minutes`}
      >
        <polyline points={points} fill="none" stroke="currentColor" stroke-width="2" />
      </svg>
    </figure>
  );
}
