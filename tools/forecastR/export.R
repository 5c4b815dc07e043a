# The series of tools/forecastR.ts: 29 published series from R's forecast, AER and MASS packages
# (Debian: r-cran-forecast r-cran-aer r-cran-mass), written as CSV files (date,value) with their
# lookback/horizon/season (monthly 24/12/12, quarterly 12/4/4, yearly 10/3/none, others as
# given) in specs.csv. MASS's accdeaths, deaths and drivers equal R's USAccDeaths, ldeaths and
# UKDriverDeaths (tools/forecastSeries.ts and the README's survey have those): mdeaths and fdeaths
# instead.
#   Rscript tools/forecastR/export.R OUTDIR
suppressMessages({library(AER); library(forecast); library(MASS)})
args <- commandArgs(TRUE)
out <- if (length(args)) args[1] else "forecastR-data"
dir.create(out, showWarnings=FALSE, recursive=TRUE)
setwd(out)
ld <- function(n, pkg) { e <- new.env(); data(list=n, package=pkg, envir=e); get(n, e) }
specs <- list()
add <- function(name, x, kind, L, H, S, dates=NULL, fill=FALSE) {
  x <- as.numeric(x)
  if (is.null(dates)) stop(name)
  df <- data.frame(date=dates, value=x)
  write.csv(df, paste0(name, ".csv"), row.names=FALSE, quote=FALSE, na="")
  specs[[length(specs)+1]] <<- data.frame(name=name, kind=kind, L=L, H=H, S=S, n=length(x), nas=sum(is.na(x)), fill=fill)
}
mdates <- function(x) format(as.Date(sprintf("%d-%02d-01", floor(round(time(x),6)), cycle(x))))
qdates <- function(x) format(as.Date(sprintf("%d-%02d-01", floor(round(time(x),6)), 3*(cycle(x)-1)+1)))
ydates <- function(x) as.integer(round(time(x)))
M <- function(name, x) add(name, x, "monthly", 24, 12, 12, mdates(x))
Q <- function(name, x) add(name, x, "quarterly", 12, 4, 4, qdates(x))
Y <- function(name, x) add(name, x, "yearly", 10, 3, 0, ydates(x))
# forecast
M("gas", ld("gas","forecast"))
Q("woolyrnq", ld("woolyrnq","forecast"))
M("wineind", ld("wineind","forecast"))
g <- ld("gold","forecast"); add("gold", g, "daily-trading(index)", 30, 5, 0, seq_along(g), fill=TRUE)
ty <- ld("taylor","forecast")[1:2000]
add("taylor", ty, "half-hourly", 96, 48, 48, format(seq(as.POSIXct("2000-06-05 00:00:00", tz="UTC"), by=1800, length.out=2000), "%Y-%m-%dT%H:%M:%S"))
# AER
Q("UKNonDurables", ld("UKNonDurables","AER"))
mg <- ld("USMacroG","AER")
Q("USMacroG_consumption", mg[,"consumption"]); Q("USMacroG_invest", mg[,"invest"]); Q("USMacroG_unemp", mg[,"unemp"])
Q("USMacroG_inflation", window(mg[,"inflation"], start=c(1950,2)))
M("FrozenJuice_price", ld("FrozenJuice","AER")[,"price"])
M("DutchSales", ld("DutchSales","AER"))
M("PepperPrice_black", ld("PepperPrice","AER")[,"black"])
Q("USProdIndex_unadj", ld("USProdIndex","AER")[,"unadjusted"])
Q("GermanUnemployment_unadj", ld("GermanUnemployment","AER")[,"unadjusted"])
Q("ArgentinaCPI", ld("ArgentinaCPI","AER"))
Q("USMacroSW_unemp", ld("USMacroSW","AER")[,"unemp"])
Q("USMoney_m1", ld("USMoney","AER")[,"m1"])
Q("OrangeCounty_employment", ld("OrangeCounty","AER")[,"employment"])
M("USMacroSWM_production", ld("USMacroSWM","AER")[,"production"])
M("USStocksSW_returns", ld("USStocksSW","AER")[,"returns"])
M("BondYield", ld("BondYield","AER"))
Y("MotorCycles2", ld("MotorCycles2","AER"))
dj <- ld("DJFranses","AER"); add("DJFranses", dj, "weekly", 26, 4, 0, format(as.Date("1980-01-04") + 7*(seq_along(dj)-1)))
ny <- ld("NYSESW","AER"); ny <- ny[1:1000]; add("NYSESW", coredata(ny), "daily-trading", 30, 5, 0, format(index(ny)))
da <- ld("DutchAdvert","AER")[,"tv"]; add("DutchAdvert_tv", da, "4-weekly", 26, 13, 13, format(as.Date("1978-01-02") + 28*(seq_along(da)-1)))
mp <- ld("MarkPound","AER"); add("MarkPound", mp, "daily-returns(index)", 30, 5, 0, seq_along(mp))
# datasets / MASS
M("mdeaths", mdeaths); M("fdeaths", fdeaths)
# MASS: accdeaths==USAccDeaths, deaths==ldeaths, drivers==UKDriverDeaths (already used)
sp <- do.call(rbind, specs); write.csv(sp, "specs.csv", row.names=FALSE, quote=FALSE); print(sp)
