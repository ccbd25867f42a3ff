/** chart.js with what a line chart over numbers needs (the score history), and nothing else. */
import { Chart, Filler, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip);

export { Chart as LineChart };
