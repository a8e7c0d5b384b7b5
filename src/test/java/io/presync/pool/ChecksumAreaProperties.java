package io.presync.pool;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The checksum cache against a reference model (arrays of CRCs and hashes): random stores and loads
 * across three segments, for cache bounds from one page (every access evicts) to more pages than
 * exist; loads always see the last store, the device image after a flush holds exactly the model.
 * The cache's pages live in native blocks: small blocks make a cache span several, the last one partly used.
 */
class ChecksumAreaProperties
{
    @Property(tries = 40)
    void loadsSeeTheLastStoreWhateverTheCacheBound(@ForAll @IntRange(min = 1, max = 12) final int maxPages,
        @ForAll final long seed) throws Exception
    {
        PartitionSpaceTest.roundTrip(maxPages, 60, seed);
    }

    @Property(tries = 40)
    void pagesSpanningSeveralBlocksKeepTheirRecords(@ForAll @IntRange(min = 1, max = 12) final int maxPages,
        @ForAll @IntRange(min = 1, max = 5) final int blockPages, @ForAll final long seed) throws Exception
    {
        PartitionSpaceTest.roundTrip(maxPages, blockPages, 60, seed);
    }
}
