# R's forecast package on the protocol of rnnkit's `timeseries train` (tools/forecastR.ts): ets()
# and auto.arima() fitted once on the rows before the test part (the last round(0.2 n) rows), then
# rolled over every origin whose horizon lies in the test part with their parameters fixed
# (ets(model=, use.initial.values=TRUE), Arima(model=)); MAE over all windows and steps, and the
# last value's (which must equal the CLI's). Missing values filled linearly (zoo::na.approx), as
# the CLI's --fill linear. Writes DIR/rres.csv.
#   Rscript tools/forecastR/compare.R DIR [NAME…]
suppressMessages({library(forecast); library(zoo)})
args <- commandArgs(TRUE)
dir <- args[1]
sp <- read.csv(file.path(dir, "specs.csv"), stringsAsFactors=FALSE)
if (length(args) > 1) sp <- sp[sp$name %in% args[-1],]
res <- list()
for (i in seq_len(nrow(sp))) {
  s <- sp[i,]; name <- s$name; H <- s$H; S <- s$S
  d <- read.csv(file.path(dir, paste0(name, ".csv")))
  y <- d$value
  if (any(is.na(y))) y <- zoo::na.approx(y, rule=2)
  n <- length(y); nt <- floor(0.2*n + 0.5); nb <- n - nt
  fr <- if (S > 0) S else 1
  yb <- ts(y[1:nb], frequency=fr)
  t0 <- Sys.time()
  fe <- tryCatch(ets(yb), error=function(e) NULL)
  fa <- tryCatch(auto.arima(yb), error=function(e) NULL)
  origins <- (nb-1):(n-H-1)   # 0-based index of last known value
  ae_e <- c(); ae_a <- c(); ae_l <- c()
  for (e in origins) {
    yy <- ts(y[1:(e+1)], frequency=fr)
    act <- y[(e+2):(e+1+H)]
    ae_l <- c(ae_l, abs(act - y[e+1]))
    if (!is.null(fe)) { f <- tryCatch(forecast(ets(yy, model=fe, use.initial.values=TRUE), h=H)$mean, error=function(err) rep(NA,H)); ae_e <- c(ae_e, abs(act - f)) }
    if (!is.null(fa)) { f <- tryCatch(forecast(Arima(yy, model=fa), h=H)$mean, error=function(err) rep(NA,H)); ae_a <- c(ae_a, abs(act - f)) }
  }
  r <- data.frame(name=name, n=n, ntest=nt, windows=length(origins),
    lastvalue=mean(ae_l), ets=if (length(ae_e)) mean(ae_e) else NA, ets_model=if (!is.null(fe)) fe$method else "fail",
    arima=if (length(ae_a)) mean(ae_a) else NA, arima_model=if (!is.null(fa)) gsub(" ", "", forecast:::arima.string(fa, padding=FALSE)) else "fail",
    r_secs=as.numeric(difftime(Sys.time(), t0, units="secs")))
  res[[length(res)+1]] <- r
}
out <- do.call(rbind, res)
write.csv(out, file.path(dir, "rres.csv"), row.names=FALSE)
