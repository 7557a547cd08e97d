// Reads a /metrics page with an independent parser (parse-prometheus-text-format), not with
// prom-client, which wrote it.
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  status: number;
  contentType: string | null;
  /** Each family's type, as the page declares it (HISTOGRAM, COUNTER, GAUGE…). */
  families: Map<string, MetricFamily['type']>;
  /** Every sample line: a histogram's _bucket, _sum and _count each with its labels. */
  samples: Sample[];
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200)
    return { status: response.status, contentType: response.headers.get('content-type'), families: new Map(), samples: [] };
  // The whole page, strictly: it must parse and declare its families.
  const families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family.type]));
  // The parser folds a labelled histogram's series into one (prom2json's shape keeps a single
  // bucket set): read the samples again with the types left off, one family per sample name.
  const untyped = text.replace(/^# TYPE (\S+) (histogram|summary)$/gm, '# TYPE $1 untyped');
  const samples = parsePrometheusTextFormat(untyped).flatMap((family) =>
    family.metrics.map((metric) => ({
      name: family.name,
      labels: metric.labels ?? {},
      value: Number(metric.value!.replace(/^\+?Inf$/, 'Infinity')),
    })),
  );
  return { status: response.status, contentType: response.headers.get('content-type'), families, samples };
}

/** The sum of the samples of this name whose labels include these (0 when there is none). */
export function total(page: Scrape, name: string, labels: Record<string, string> = {}): number {
  return page.samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Whether the page has a sample of this name with these labels. */
export function has(page: Scrape, name: string, labels: Record<string, string> = {}): boolean {
  return page.samples.some(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}
