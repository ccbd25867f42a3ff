/**
 * A chart.js chart as a React component: made when mounted, updated in place when its
 * configuration changes, destroyed when unmounted. The canvas is an image with `label` as its
 * accessible name; every page that draws a chart also gives its figures as a table (a chart is
 * never the only way to read them). Only the chart.js parts a chart type needs are registered, by
 * `./line` and `./bar`, so the bundle carries nothing else (tree-shaken registration).
 */
import type { Chart, ChartConfiguration, ChartType } from "chart.js";
import { useEffect, useRef } from "react";

export interface ChartCanvasProps<T extends ChartType> {
  /** The chart.js constructor with the controllers of `config.type` registered. */
  chart: typeof Chart;
  config: ChartConfiguration<T>;
  /** What the chart shows, in words (its accessible name). */
  label: string;
  height?: number;
}

export function ChartCanvas<T extends ChartType>({ chart: ChartClass, config, label, height = 260 }: ChartCanvasProps<T>) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const instance = useRef<Chart<T> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    // Made once per chart type; later configurations are applied in place (below), without a flash.
    instance.current = new ChartClass(canvas.current, config) as Chart<T>;
    return () => {
      instance.current?.destroy();
      instance.current = null;
    };
  }, [ChartClass, config.type]);

  useEffect(() => {
    const current = instance.current;
    if (!current) return;
    current.data = config.data;
    if (config.options) current.options = config.options;
    current.update();
  }, [config]);

  return (
    <div className="chart" style={{ height }}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
