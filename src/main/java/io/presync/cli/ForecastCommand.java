package io.presync.cli;

import io.presync.RefusedException;
import io.presync.forecast.CombinedForecast;
import io.presync.forecast.EtsFitter;
import io.presync.forecast.EtsSpec;
import io.presync.forecast.FittedModel;
import io.presync.forecast.GrowthForecast;
import io.presync.forecast.Transform;
import io.presync.forecast.Trend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code presync forecast}: the growth forecast of a series read from a CSV file, or a back-test of the
 * forecaster over it.
 *
 * <pre>
 * presync forecast --input FILE.csv --column NAME --period P|auto --horizon H --confidence C
 *                  [--backtest --from T --step S] [--format csv|json] [--window W] [--transform none|log1p]
 *                  [--model auto|A,T,S] [--method combined|ets] [--ets-weight W|auto]
 * </pre>
 * {@code --method combined} (the default) forecasts with {@link CombinedForecast}: the fitted ETS model's
 * sum averaged with seasonal naive's (period P; the last value when the period is 1), the interval taken
 * from the in-sample errors of that rule at horizon H. {@code --method ets} reports the ETS model alone
 * with its analytic interval. The interval is two-sided at C: the upper bound is the (1 + C)/2 quantile,
 * so C = 0.90 gives the one-sided 95% upper bound.
 * Without {@code --backtest} it prints the forecast of the sum of the next H buckets after the end of the
 * series: {@code horizon,mean,lower,upper,confidence,sigma,model}. With it, for the origins T, T+S, ...
 * (while origin + H ≤ rows) it fits on the W rows before the origin and prints
 * {@code origin,actual,predicted,lower,upper,model}, where {@code actual} is the true sum of the H buckets
 * starting at the origin (origins count data rows from 0).
 */
@Command(
    name = "forecast",
    mixinStandardHelpOptions = true,
    description = {
        "Forecasts the sum of the next H buckets of a series read from a CSV file (header row, comma-separated),",
        "or back-tests the forecaster over the series with --backtest."
    })
public final class ForecastCommand implements Callable<Integer>
{
    /** The periods {@code --period auto} tries: a day and a week of 30-minute buckets. */
    static final int[] AUTO_PERIOD_CANDIDATES = {48, 336};
    static final int DEFAULT_WINDOW = 336;


    enum Format
    {
        csv, json
    }

    /** How the forecast is made from the fitted model. */
    enum Method
    {
        /** ETS averaged with seasonal naive, interval from the in-sample h-sum errors ({@link CombinedForecast}). */
        combined,
        /** The fitted ETS model alone with its analytic interval ({@link FittedModel#forecastSum}). */
        ets
    }

    enum TransformOption
    {
        none(Transform.NONE), log1p(Transform.LOG1P);

        final Transform transform;

        TransformOption(final Transform transform)
        {
            this.transform = transform;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "CSV file with a header row.")
    Path input;

    @Option(names = "--column", defaultValue = "write_bytes", paramLabel = "NAME",
        description = "Column holding the series (default: ${DEFAULT-VALUE}).")
    String column;

    @Option(names = "--period", defaultValue = "auto", paramLabel = "P",
        description = "Seasonal period in buckets, 1 for none, or auto (tries 48 and 336; default: ${DEFAULT-VALUE}).")
    String period;

    @Option(names = "--horizon", required = true, paramLabel = "H", description = "Buckets to forecast the sum of.")
    int horizon;

    @Option(names = "--confidence", defaultValue = "0.95", paramLabel = "C",
        description = {"Two-sided confidence of the [lower, upper] interval, in (0, 1) (default: ${DEFAULT-VALUE}); the upper bound",
            "is the (1 + C)/2 quantile, so 0.90 gives a one-sided 95%% upper bound."})
    double confidence;

    @Option(names = "--backtest", description = "Back-test: forecast from every origin and print the actual sums beside.")
    boolean backtest;

    @Option(names = "--from", paramLabel = "T", description = "First back-test origin (default: 2 periods + 3, or 3 * H without season).")
    Integer from;

    @Option(names = "--step", paramLabel = "S", description = "Buckets between back-test origins (default: H).")
    Integer step;

    @Option(names = "--format", defaultValue = "csv", paramLabel = "csv|json", description = "Output format (default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = "--window", defaultValue = "" + DEFAULT_WINDOW, paramLabel = "W",
        description = "Fit on at most the last W buckets (default: ${DEFAULT-VALUE}, 7 days of 30-minute buckets).")
    int window;

    @Option(names = "--transform", defaultValue = "none", paramLabel = "none|log1p",
        description = "Fit on log(1 + y) and transform back (for bursty, often-zero series; default: ${DEFAULT-VALUE}).")
    TransformOption transform;

    @Option(names = "--model", defaultValue = "auto", paramLabel = "auto|A,T,S",
        description = {"auto (the smallest AICc of ETS(A,N|A|Ad,N|A); default) or one model, for example A,Ad,A or A,N,N.",
            "A seasonal model needs a period > 1; with too few rows the fitter falls back to a simpler one."})
    String model;

    @Option(names = "--method", defaultValue = "combined", paramLabel = "combined|ets",
        description = {"combined: the ETS forecast averaged with seasonal naive (the same buckets one period earlier), with the",
            "interval taken from the in-sample errors of that rule at horizon H (default); ets: the ETS model alone with its",
            "analytic Gaussian interval. --model and --transform apply to the ETS part of both."})
    Method method;

    @Option(names = "--ets-weight", defaultValue = "auto", paramLabel = "W|auto",
        description = {"Weight of the ETS forecast in --method combined, in [0, 1], or auto: chosen in-sample when the window",
            "holds at least 20 x H in-sample sums, 0.5 otherwise (default: ${DEFAULT-VALUE})."})
    String etsWeight;

    @Override
    public Integer call() throws IOException
    {
        checkOptions();
        final SeriesCsv.Series series = SeriesCsv.read(input, column);
        if (series.length() == 0)
        {
            throw new RefusedException(input + " has no data rows for column '" + column + "'; add one row per bucket after the header.");
        }
        if (transform == TransformOption.log1p)
        {
            final double[] y = series.values();
            for (int i = 0; i < y.length; i++)
            {
                if (y[i] < 0)
                {
                    throw new RefusedException(input + " line " + series.lines()[i] + ", column '" + column + "': " + y[i] +
                        " is negative, which --transform log1p cannot take; use --transform none.");
                }
            }
        }
        final PrintWriter out = spec.commandLine().getOut();
        if (backtest)
        {
            backtest(series, out);
        }
        else
        {
            forecast(series, out);
        }
        out.flush();
        return Main.EXIT_OK;
    }

    private void checkOptions() throws RefusedException
    {
        if (horizon <= 0)
        {
            throw new RefusedException("--horizon must be at least 1 bucket, was " + horizon + "; pass the number of buckets to forecast over.");
        }
        if (!(confidence > 0.0 && confidence < 1.0))
        {
            throw new RefusedException("--confidence must lie strictly between 0 and 1, was " + confidence + "; pass for example 0.95.");
        }
        if (window < 2)
        {
            throw new RefusedException("--window must be at least 2 buckets, was " + window + "; pass for example 336 (a week of 30-minute buckets).");
        }
        if (!backtest && (from != null || step != null))
        {
            throw new RefusedException("--from and --step apply to back-tests only; add --backtest or drop them.");
        }
        if (step != null && step <= 0)
        {
            throw new RefusedException("--step must be at least 1 bucket, was " + step + "; pass the distance between back-test origins.");
        }
        if (from != null && from <= 0)
        {
            throw new RefusedException("--from must be at least 1 (rows to fit on before the first origin), was " + from + ".");
        }
        fixedPeriod();
        parseModel();
        parseEtsWeight();
    }

    /** The --ets-weight given: a weight in [0, 1] or {@link CombinedForecast#CHOOSE_WEIGHT}. */
    private double parseEtsWeight() throws RefusedException
    {
        final String text = etsWeight.trim();
        if ("auto".equalsIgnoreCase(text))
        {
            return CombinedForecast.CHOOSE_WEIGHT;
        }
        try
        {
            final double w = Double.parseDouble(text);
            if (w >= 0.0 && w <= 1.0)
            {
                return w;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // refused below with the same sentence
        }
        throw new RefusedException("--ets-weight must be a number in [0, 1] or auto, was '" + etsWeight + "'.");
    }

    /** The forecast of the sum of the H buckets after y[to-1], by --method, from a fit on y[from, to). */
    private GrowthForecast forecastAt(final double[] y, final int fromIndex, final int toIndex, final int p) throws RefusedException
    {
        final FittedModel fitted = fit(y, fromIndex, toIndex, p);
        if (method == Method.ets)
        {
            return fitted.forecastSum(horizon, confidence);
        }
        return CombinedForecast.forecastSum(fitted, y, fromIndex, toIndex, p, horizon, confidence, parseEtsWeight());
    }

    /** A model named with --model. */
    private record ModelChoice(Trend trend, boolean seasonal)
    {
    }

    /** The model given with --model, or null for auto. */
    private ModelChoice parseModel() throws RefusedException
    {
        String text = model.trim();
        if ("auto".equalsIgnoreCase(text))
        {
            return null;
        }
        if (text.startsWith("ETS(") && text.endsWith(")"))
        {
            text = text.substring(4, text.length() - 1);
        }
        final String[] parts = text.split(",");
        if (parts.length == 3 && parts[0].trim().equals("A"))
        {
            final String trend = parts[1].trim();
            final String season = parts[2].trim();
            final Trend t = switch (trend)
            {
                case "N" -> Trend.NONE;
                case "A" -> Trend.ADDITIVE;
                case "Ad" -> Trend.DAMPED;
                default -> null;
            };
            if (t != null && (season.equals("N") || season.equals("A")))
            {
                return new ModelChoice(t, season.equals("A"));
            }
        }
        throw new RefusedException("--model must be auto or A,T,S with T one of N, A, Ad and S one of N, A (for example A,Ad,A), was '" +
            model + "'.");
    }

    /** Fits y[from, to) with the model asked for: AICc choice, or the one given. */
    private FittedModel fit(final double[] y, final int fromIndex, final int toIndex, final int p) throws RefusedException
    {
        final ModelChoice chosen = parseModel();
        if (chosen == null)
        {
            return EtsFitter.fitAuto(y, fromIndex, toIndex, p, transform.transform);
        }
        final boolean seasonal = chosen.seasonal();
        if (seasonal && p <= 1)
        {
            throw new RefusedException("--model " + model + " is seasonal but the period is 1" +
                ("auto".equalsIgnoreCase(period) ? " (none detected)" : "") + "; give --period or a model ending in N.");
        }
        final EtsSpec spec = seasonal ? EtsSpec.seasonal(chosen.trend(), p) : EtsSpec.of(chosen.trend());
        return EtsFitter.fit(y, fromIndex, toIndex, spec, transform.transform);
    }

    /** The period given, or -1 for auto. */
    private int fixedPeriod() throws RefusedException
    {
        if ("auto".equalsIgnoreCase(period))
        {
            return -1;
        }
        try
        {
            final int p = Integer.parseInt(period.trim());
            if (p >= 1)
            {
                return p;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // refused below with the same sentence
        }
        throw new RefusedException("--period must be a whole number of buckets (1 for no season) or auto, was '" + period + "'.");
    }

    /** The period for a fit on y[from, to): the one given, or the detected one (1 when none is found). */
    private int periodFor(final double[] y, final int fromIndex, final int toIndex) throws RefusedException
    {
        final int p = fixedPeriod();
        if (p > 0)
        {
            return p;
        }
        // Only candidates with two full seasons in the window can be fitted, so only those are tried.
        int usable = 0;
        for (final int c : AUTO_PERIOD_CANDIDATES)
        {
            usable += toIndex - fromIndex >= minimumRows(c) ? 1 : 0;
        }
        if (usable == 0)
        {
            return 1;
        }
        final int[] candidates = new int[usable];
        int i = 0;
        for (final int c : AUTO_PERIOD_CANDIDATES)
        {
            if (toIndex - fromIndex >= minimumRows(c))
            {
                candidates[i++] = c;
            }
        }
        final int detected = EtsFitter.detectPeriod(y, fromIndex, toIndex, candidates);
        return detected > 1 ? detected : 1;
    }

    /** Rows the fitter needs for a model with this period: two seasons and a few more, or a handful without. */
    static int minimumRows(final int p)
    {
        return p > 1 ? 2 * p + EtsFitter.SEASONAL_EXTRA : EtsFitter.MIN_OBSERVATIONS;
    }

    private void forecast(final SeriesCsv.Series series, final PrintWriter out) throws RefusedException
    {
        final double[] y = series.values();
        final int n = y.length;
        final int start = Math.max(0, n - window);
        final int p = periodFor(y, start, n);
        if (n - start < minimumRows(p))
        {
            throw tooFew(series, n - start, p);
        }
        final GrowthForecast f = forecastAt(y, start, n, p);
        if (format == Format.csv)
        {
            out.println("horizon,mean,lower,upper,confidence,sigma,model");
            out.println(f.horizonSteps() + "," + number(f.mean()) + "," + number(f.lower()) + "," + number(f.upper()) + "," +
                number(f.confidence()) + "," + number(f.sigma()) + "," + csvText(f.model()));
        }
        else
        {
            out.println("{\"horizon\": " + f.horizonSteps() + ", \"mean\": " + json(f.mean()) + ", \"lower\": " + json(f.lower()) +
                ", \"upper\": " + json(f.upper()) + ", \"confidence\": " + json(f.confidence()) + ", \"sigma\": " + json(f.sigma()) +
                ", \"model\": " + jsonText(f.model()) + "}");
        }
    }

    private void backtest(final SeriesCsv.Series series, final PrintWriter out) throws RefusedException
    {
        final double[] y = series.values();
        final int n = y.length;
        final int fixed = fixedPeriod();
        final int first = from != null ? from : fixed == 1 ? Math.max(minimumRows(1), 3 * horizon) :
            minimumRows(fixed > 1 ? fixed : AUTO_PERIOD_CANDIDATES[0]);
        final int stride = step != null ? step : horizon;
        if (first + horizon > n)
        {
            throw new RefusedException(input + " has " + n + " rows of '" + column + "' (last on line " + series.lines()[n - 1] +
                "), too few for a back-test from origin " + first + " over " + horizon + " buckets; lower --from or --horizon.");
        }
        if (fixed > 0 && Math.min(first, window) < minimumRows(fixed))
        {
            throw new RefusedException("a back-test from origin " + first + " with --window " + window + " fits on " + Math.min(first, window) +
                " rows of '" + column + "' of " + input + " but period " + fixed + " needs at least " + minimumRows(fixed) +
                "; raise --from and --window to " + minimumRows(fixed) + " or lower --period.");
        }
        if (format == Format.csv)
        {
            out.println("origin,actual,predicted,lower,upper,model");
        }
        else
        {
            out.print("[");
        }
        boolean firstRow = true;
        for (int origin = first; origin + horizon <= n; origin += stride)
        {
            final int start = Math.max(0, origin - window);
            final int p = periodFor(y, start, origin);
            final int rows = origin - start;
            if (rows < minimumRows(p))
            {
                throw tooFew(series, rows, p);
            }
            final GrowthForecast f = forecastAt(y, start, origin, p);
            double actual = 0;
            for (int i = origin; i < origin + horizon; i++)
            {
                actual += y[i];
            }
            if (format == Format.csv)
            {
                out.println(origin + "," + number(actual) + "," + number(f.mean()) + "," + number(f.lower()) + "," + number(f.upper()) + "," +
                    csvText(f.model()));
            }
            else
            {
                out.print((firstRow ? "\n" : ",\n") + "{\"origin\": " + origin + ", \"actual\": " + json(actual) + ", \"predicted\": " +
                    json(f.mean()) + ", \"lower\": " + json(f.lower()) + ", \"upper\": " + json(f.upper()) + ", \"model\": " +
                    jsonText(f.model()) + "}");
            }
            firstRow = false;
        }
        if (format == Format.json)
        {
            out.println(firstRow ? "]" : "\n]");
        }
    }

    private RefusedException tooFew(final SeriesCsv.Series series, final int rows, final int p)
    {
        final int n = series.length();
        return new RefusedException(input + " has " + rows + " usable rows of '" + column + "' (last on line " + series.lines()[n - 1] +
            ") but " + (p > 1 ? "period " + p : "a forecast without season") + " needs at least " + minimumRows(p) +
            "; give a longer series" + (p > 1 ? " or a smaller --period." : "."));
    }

    /** Shortest text that reads back to the same double; integers without a fraction. */
    static String number(final double v)
    {
        if (v == Math.rint(v) && Math.abs(v) < 1e15)
        {
            return Long.toString((long)v);
        }
        return Double.toString(v);
    }

    private static String json(final double v)
    {
        return Double.isFinite(v) ? number(v) : "null";
    }

    /** Model names contain commas ("ETS(A,Ad,A)"), so CSV quotes them. */
    private static String csvText(final String s)
    {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static String jsonText(final String s)
    {
        final StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\')
            {
                b.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
            }
            else
            {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
