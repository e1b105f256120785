// The portal's own build of Apache ECharts: only what static/js/dashboard.js draws (see ../BUILD.md).
// Bar chart of the districts with the city figure and the target as mark lines; line chart over the
// periods (stepped target line); legends (plain and scrolling), axis tooltips, the canvas renderer.
// grid.containLabel is a legacy option since ECharts 6 and needs LegacyGridContainLabel.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
} from "echarts/components";
import { LegacyGridContainLabel } from "echarts/features";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  LegacyGridContainLabel,
  CanvasRenderer,
]);

window.echarts = echarts;
