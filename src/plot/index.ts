/** SVG plots (browser-safe; file writing in Node through a dynamic import). */
export { lineChart, niceTicks, type LineSeries, type BandSeries, type ChartOptions } from './svg.js';
export { plotHistory, historySvg, plotForecast, forecastSvg, plotForecastPanels, forecastPanelsSvg, type PlotHistoryOptions, type ForecastPlotData, type ForecastPanelsOptions } from './plots.js';
export { plotModel, modelSvg, type PlotModelOptions } from './modelPlot.js';
