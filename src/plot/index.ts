/** SVG plots (browser-safe; file writing in Node through a dynamic import). */
export { lineChart, niceTicks, type LineSeries, type BandSeries, type ChartOptions } from './svg.js';
export { plotHistory, historySvg, plotForecast, forecastSvg, type PlotHistoryOptions, type ForecastPlotData } from './plots.js';
export { plotModel, modelSvg, type PlotModelOptions } from './modelPlot.js';
