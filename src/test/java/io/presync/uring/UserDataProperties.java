package io.presync.uring;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UserDataProperties
{
    @Property
    void encodeDecodeRoundTrips(
        @ForAll @IntRange(min = 0, max = UserData.MAX_KIND) final int kind,
        @ForAll @LongRange(min = 0, max = UserData.MAX_INDEX) final long index)
    {
        final long userData = UserData.encode(kind, index);
        assertEquals(kind, UserData.kind(userData));
        assertEquals(index, UserData.index(userData));
        assertEquals((int)index, UserData.intIndex(userData));
    }
}
