package io.presync.stream;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The binary layout of one trace event as its tracefs {@code format} file describes it, e.g.
 *
 * <pre>
 * name: block_rq_complete
 * ID: 2107
 * format:
 * 	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 * 	...
 * 	field:dev_t dev;	offset:8;	size:4;	signed:0;
 * 	field:sector_t sector;	offset:16;	size:8;	signed:0;
 * </pre>
 *
 * Offsets are read from the running kernel rather than hard-coded, because they change between
 * kernel versions (block_rq_complete gained {@code ioprio} in 6.x, which moved {@code rwbs}).
 */
final class EventFormat
{
    /** One field: byte offset and size within the event payload. */
    record Field(String name, int offset, int size, boolean signed)
    {
    }

    private final String name;
    private final int id;
    private final Map<String, Field> fields;

    EventFormat(final String name, final int id, final Map<String, Field> fields)
    {
        this.name = name;
        this.id = id;
        this.fields = fields;
    }

    static EventFormat read(final Path formatFile) throws IOException
    {
        return parse(TraceFs.read(formatFile), formatFile.toString());
    }

    static EventFormat parse(final String text, final String source) throws IOException
    {
        String name = null;
        int id = -1;
        final Map<String, Field> fields = new LinkedHashMap<>();
        for (final String rawLine : text.split("\n"))
        {
            final String line = rawLine.strip();
            if (line.startsWith("name:"))
            {
                name = line.substring(5).strip();
            }
            else if (line.startsWith("ID:"))
            {
                id = Integer.parseInt(line.substring(3).strip());
            }
            else if (line.startsWith("field:"))
            {
                final Field field = parseField(line, source);
                fields.put(field.name(), field);
            }
        }
        if (name == null || id < 0 || !fields.containsKey("common_type"))
        {
            throw new IOException(source + ": not a tracefs event format (no name, ID or common_type)");
        }
        return new EventFormat(name, id, fields);
    }

    private static Field parseField(final String line, final String source) throws IOException
    {
        // field:unsigned int nr_sector;	offset:24;	size:4;	signed:0;
        final String[] parts = line.split(";");
        if (parts.length < 3)
        {
            throw new IOException(source + ": cannot parse format line '" + line + "'");
        }
        // "char rwbs[10]" and "__data_loc char[] cmd": the name is the last word, less an array suffix.
        final String declaration = parts[0].substring("field:".length()).strip();
        String fieldName = declaration.substring(declaration.lastIndexOf(' ') + 1);
        final int bracket = fieldName.indexOf('[');
        if (bracket >= 0)
        {
            fieldName = fieldName.substring(0, bracket);
        }
        int offset = -1;
        int size = -1;
        boolean signed = false;
        for (int i = 1; i < parts.length; i++)
        {
            final String part = parts[i].strip();
            if (part.startsWith("offset:"))
            {
                offset = Integer.parseInt(part.substring(7));
            }
            else if (part.startsWith("size:"))
            {
                size = Integer.parseInt(part.substring(5));
            }
            else if (part.startsWith("signed:"))
            {
                signed = !"0".equals(part.substring(7));
            }
        }
        // size 0: a flexible array at the end ("char buf[]" of ftrace/raw_data).
        if (offset < 0 || size < 0)
        {
            throw new IOException(source + ": cannot parse format line '" + line + "'");
        }
        return new Field(fieldName, offset, size, signed);
    }

    String name()
    {
        return name;
    }

    int id()
    {
        return id;
    }

    /** The field, or an IOException naming the event when this kernel's event lacks it. */
    Field field(final String fieldName) throws IOException
    {
        final Field field = fields.get(fieldName);
        if (field == null)
        {
            throw new IOException("trace event " + name + " has no field '" + fieldName + "' in this kernel");
        }
        return field;
    }

    boolean hasField(final String fieldName)
    {
        return fields.containsKey(fieldName);
    }
}
