import type { Metric, Registry, RegistryContentType } from "prom-client";

/*
 * Metric families whose series are held by reference. prom-client builds a
 * string of the label object on every `inc`/`observe` (its `labels()`
 * children too) and keys histogram buckets by their float bounds. Here a
 * bound series looks its cell up once, and again only after a reset; an
 * unbound write walks one map per label, keyed by the label values as given
 * (config names, whose hashes V8 keeps), never a joined string. The registry
 * still formats `/metrics`: it accepts any object with `name`, `help`,
 * `type` and `get()`.
 */

export type LabelSet<L extends string> = Readonly<Record<L, string>>;

interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registry: Registry<RegistryContentType>;
}

interface Entry<L extends string, C> {
  labels: LabelSet<L>;
  cell: C;
}

/** One level per label name; the last level holds the entries. */
type Node = Map<string, unknown>;

abstract class Family<L extends string, C> {
  /** Not readonly: an OpenMetrics registry renames counters while it formats them. */
  name: string;
  readonly help: string;
  readonly aggregator = "sum";
  readonly labelNames: readonly L[];
  #root: Node = new Map();
  #entries: Entry<L, C>[] = [];
  #epoch = 0;

  constructor(options: FamilyOptions<L>) {
    if (options.labelNames.length === 0) throw new TypeError(`${options.name} needs a label`);
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    // prom-client's types list only its own classes; its registry needs only `get()` and `reset()`.
    options.registry.registerMetric(this as unknown as Metric);
  }

  /** Bumped by `reset`, so a bound series knows its cell is gone. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The cell of a label set, created (and shown on `/metrics`) on first use. */
  cellOf(labels: LabelSet<L>): C {
    const names = this.labelNames;
    const last = names.length - 1;
    let node = this.#root;
    for (let i = 0; i < last; i++) {
      const value = labels[names[i]!];
      let next = node.get(value) as Node | undefined;
      if (!next) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const leaf = labels[names[last]!];
    const found = node.get(leaf) as Entry<L, C> | undefined;
    if (found) return found.cell;
    // In label-name order, whatever the caller's key order: that is the exposition's order.
    const own = Object.fromEntries(names.map((name) => [name, labels[name]])) as LabelSet<L>;
    const entry = { labels: own, cell: this.newCell() };
    node.set(leaf, entry);
    this.#entries.push(entry);
    return entry.cell;
  }

  /** What `registry.resetMetrics()` calls: every series is dropped, as prom-client does. */
  reset(): void {
    this.#root = new Map();
    this.#entries = [];
    this.#epoch++;
  }

  protected entries(): readonly Entry<L, C>[] {
    return this.#entries;
  }

  protected abstract newCell(): C;
}

/** One series of a family, resolved to its cell on first write and after each reset. */
abstract class Bound<L extends string, C> {
  readonly #family: Family<L, C>;
  readonly #labels: LabelSet<L>;
  #cell: C | undefined;
  #epoch = -1;

  constructor(family: Family<L, C>, labels: LabelSet<L>) {
    this.#family = family;
    this.#labels = labels;
  }

  protected cell(): C {
    const epoch = this.#family.epoch;
    if (this.#epoch !== epoch || this.#cell === undefined) {
      this.#cell = this.#family.cellOf(this.#labels);
      this.#epoch = epoch;
    }
    return this.#cell;
  }
}

interface ValueCell {
  value: number;
}

abstract class ValueFamily<L extends string> extends Family<L, ValueCell> {
  abstract readonly type: "counter" | "gauge";

  protected newCell(): ValueCell {
    return { value: 0 };
  }

  async get() {
    const values = this.entries().map(({ labels, cell }) => ({ labels, value: cell.value }));
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values };
  }
}

export class CounterFamily<L extends string> extends ValueFamily<L> {
  readonly type = "counter";

  labels(labels: LabelSet<L>): CounterSeries<L> {
    return new CounterSeries(this, labels);
  }

  inc(labels: LabelSet<L>, value = 1): void {
    addTo(this.cellOf(labels), value);
  }
}

export class CounterSeries<L extends string> extends Bound<L, ValueCell> {
  inc(value = 1): void {
    addTo(this.cell(), value);
  }
}

function addTo(cell: ValueCell, value: number): void {
  if (!(Number.isFinite(value) && value >= 0))
    throw new TypeError(`A counter only increases by a finite number, not ${value}`);
  cell.value += value;
}

export class GaugeFamily<L extends string> extends ValueFamily<L> {
  readonly type = "gauge";

  labels(labels: LabelSet<L>): GaugeSeries<L> {
    return new GaugeSeries(this, labels);
  }
}

export class GaugeSeries<L extends string> extends Bound<L, ValueCell> {
  inc(): void {
    this.cell().value++;
  }

  dec(): void {
    this.cell().value--;
  }
}

interface HistogramCell {
  bounds: readonly number[];
  /** Per bucket, not cumulative: `counts[i]` is the observations in (bounds[i-1], bounds[i]]. */
  counts: number[];
  sum: number;
  count: number;
}

function record(cell: HistogramCell, value: number): void {
  if (!Number.isFinite(value)) throw new TypeError(`Not a finite number: ${value}`);
  const { bounds, counts } = cell;
  for (let i = 0; i < bounds.length; i++) {
    if (value <= bounds[i]!) {
      counts[i]!++;
      break;
    }
  }
  cell.sum += value;
  cell.count++;
}

export class HistogramFamily<L extends string> extends Family<L, HistogramCell> {
  readonly type = "histogram";
  readonly #bounds: readonly number[];

  constructor(options: FamilyOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.#bounds = options.buckets;
  }

  labels(labels: LabelSet<L>): HistogramSeries<L> {
    return new HistogramSeries(this, labels);
  }

  observe(labels: LabelSet<L>, value: number): void {
    record(this.cellOf(labels), value);
  }

  protected newCell(): HistogramCell {
    return { bounds: this.#bounds, counts: this.#bounds.map(() => 0), sum: 0, count: 0 };
  }

  /** The shape prom-client's own histogram gives its registry: `le` first, the series' labels shared. */
  async getForPromString() {
    const bucket = `${this.name}_bucket`;
    const values: HistogramValue<L>[] = [];
    for (const { labels, cell } of this.entries()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += cell.counts[i]!;
        values.push(bucketValue(le, labels, cumulative, bucket));
      });
      values.push(
        bucketValue("+Inf", labels, cell.count, bucket),
        { labels: {}, sharedLabels: labels, value: cell.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: labels, value: cell.count, metricName: `${this.name}_count` },
      );
    }
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values };
  }

  /** As prom-client's `get()`: each value's labels are `le` (buckets only) and the series' labels. */
  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}

interface HistogramValue<L extends string> {
  labels: { le?: number | "+Inf" };
  sharedLabels: LabelSet<L>;
  value: number;
  metricName: string;
  /** What prom-client's buckets carry without exemplars; kept so `getMetricsAsJSON()` reads the same. */
  exemplar?: null;
}

function bucketValue<L extends string>(
  le: number | "+Inf",
  labels: LabelSet<L>,
  value: number,
  metricName: string,
): HistogramValue<L> {
  return { labels: { le }, sharedLabels: labels, value, metricName, exemplar: null };
}

export class HistogramSeries<L extends string> extends Bound<L, HistogramCell> {
  observe(value: number): void {
    record(this.cell(), value);
  }
}
