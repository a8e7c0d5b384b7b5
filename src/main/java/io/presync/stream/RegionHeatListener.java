package io.presync.stream;

/**
 * The heat feed: told about every write as the bytes it put into each coarse region (1 MiB by
 * default), with the write's time. The forecaster's heat model sums these per region and interval
 * (and decays them) to decide which regions are hot. Called on the aggregating thread; must not
 * block. A write spanning several regions is one call per region.
 */
@FunctionalInterface
public interface RegionHeatListener
{
    void onRegionWrite(long regionIndex, long bytes, long timeNanos);
}
