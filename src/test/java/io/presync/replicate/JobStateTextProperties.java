package io.presync.replicate;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job state's text reads back through Properties.load as the map it was written from (the reference model). */
class JobStateTextProperties
{
    @Property(tries = 300)
    void anyKeysAndValuesRoundTrip(
        @ForAll @Size(max = 12) final Map<@StringLength(min = 1, max = 20) String, @StringLength(max = 40) String> entries,
        @ForAll @StringLength(max = 30) final String comment) throws IOException
    {
        final JobStateText text = new JobStateText(comment);
        for (final Map.Entry<String, String> e : entries.entrySet())
        {
            text.put(e.getKey(), e.getValue());
        }
        assertEquals(entries, load(text));
    }

    @Example
    void theJobsFieldsReadBack() throws IOException
    {
        final Map<String, String> entries = new LinkedHashMap<>();
        entries.put("phase", "copy");
        entries.put("partition", "vm-1.a_b");
        entries.put("confidence", "0.95");
        entries.put("model", "ETS(A,Ad,N) horizon-bucket: bound = mean + t*sigma #2 (x=1) \\ done");
        entries.put("consistentAtSeq", "-1");
        entries.put("blank", " leading and trailing ");
        entries.put("key with = and : and spaces", "caf\u00e9 \u2603\n\ttabbed");
        final JobStateText text = new JobStateText("presync replication job state");
        entries.forEach(text::put);
        assertEquals(entries, load(text));
        assertTrue(text.toString().startsWith("#presync replication job state\nphase=copy\npartition=vm-1.a_b\n"), text.toString());
    }

    private static Map<String, String> load(final JobStateText text) throws IOException
    {
        final Properties p = new Properties();
        p.load(new ByteArrayInputStream(text.toBytes()));
        final Map<String, String> loaded = new LinkedHashMap<>();
        for (final String key : p.stringPropertyNames())
        {
            loaded.put(key, p.getProperty(key));
        }
        return loaded;
    }
}
