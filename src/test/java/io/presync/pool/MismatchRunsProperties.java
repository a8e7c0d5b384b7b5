package io.presync.pool;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Coalescing against a reference model: per-block kinds expanded from the ranges equal the input. */
class MismatchRunsProperties
{
    private static final int BLOCK = 4096;

    /** 0 = match, 1 = slave-corrupt, 2 = master-differs, per block. */
    @Provide
    Arbitrary<List<Integer>> verdicts()
    {
        return Arbitraries.integers().between(0, 2).list().ofMaxSize(200);
    }

    @Property
    void rangesExpandBackToTheVerdictsAndAreMaximal(@ForAll("verdicts") final List<Integer> verdicts)
    {
        final MismatchRuns runs = new MismatchRuns(BLOCK);
        for (int b = 0; b < verdicts.size(); b++)
        {
            runs.note((long)b * BLOCK, kindOf(verdicts.get(b)));
        }
        final List<Mismatch> ranges = runs.finish();

        // Reference: expand the ranges into per-block kinds.
        final List<Integer> expanded = new ArrayList<>();
        for (int b = 0; b < verdicts.size(); b++)
        {
            expanded.add(0);
        }
        Mismatch previous = null;
        for (final Mismatch m : ranges)
        {
            for (long offset = m.offsetBytes(); offset < m.endBytes(); offset += BLOCK)
            {
                expanded.set((int)(offset / BLOCK), m.kind() == Mismatch.Kind.SLAVE_CORRUPT ? 1 : 2);
            }
            if (previous != null)
            {
                // Ordered, disjoint, and never two touching ranges of the same kind (maximal coalescing).
                assertEquals(true, previous.endBytes() <= m.offsetBytes());
                assertEquals(false, previous.endBytes() == m.offsetBytes() && previous.kind() == m.kind());
            }
            previous = m;
        }
        assertEquals(verdicts, expanded);
    }

    @Property
    void aGapBetweenCheckedRangesSplitsARun(@ForAll("verdicts") final List<Integer> verdicts)
    {
        // Blocks noted two apart (as when repair re-verifies separate ranges) never coalesce.
        final MismatchRuns runs = new MismatchRuns(BLOCK);
        int mismatching = 0;
        for (int b = 0; b < verdicts.size(); b++)
        {
            runs.note(2L * b * BLOCK, kindOf(verdicts.get(b)));
            mismatching += verdicts.get(b) == 0 ? 0 : 1;
        }
        assertEquals(mismatching, runs.finish().size());
    }

    private static Mismatch.Kind kindOf(final int verdict)
    {
        return verdict == 0 ? null : verdict == 1 ? Mismatch.Kind.SLAVE_CORRUPT : Mismatch.Kind.MASTER_DIFFERS;
    }
}
