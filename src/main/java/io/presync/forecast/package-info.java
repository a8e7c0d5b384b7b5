/**
 * Growth forecaster: additive-error exponential smoothing (ETS) in innovations state-space form,
 * fitted by maximum likelihood, with analytic prediction intervals for the sum of the next h buckets.
 * <p>
 * Public API: {@link io.presync.forecast.EtsFitter} (fit one spec, fit the AICc-best of six, detect a
 * period, or run fixed parameters), {@link io.presync.forecast.FittedModel} (O(1)
 * {@code observe}, per-step and horizon-sum forecasts), {@link io.presync.forecast.CombinedForecast} (the
 * default forecast of {@code presync forecast}: the ETS sum averaged with seasonal naive's, with an
 * interval from the in-sample errors of that rule), {@link io.presync.forecast.HorizonForecast} (the sum over a
 * horizon from a model fitted to the history summed at the horizon's scale, with a Student-t bound: what
 * the partition planner sizes by), and the value types
 * {@link io.presync.forecast.EtsSpec}, {@link io.presync.forecast.Trend},
 * {@link io.presync.forecast.Transform}, {@link io.presync.forecast.GrowthForecast}.
 * <p>
 * Validation: {@code scripts/statsmodels-fixtures} produces reference filters, forecasts and
 * variances from statsmodels' ETSModel with fixed parameters; the tests match them to 1e-6 relative.
 * Pure Java, no I/O.
 */
package io.presync.forecast;
