package io.presync.cli;

import io.presync.RefusedException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads one numeric column of a simple CSV file: a header row, then comma-separated rows, no quoting
 * inside cells (quoted header names are tolerated, as spreadsheets write them). Blank lines are skipped.
 * Every problem a user can fix is a {@link RefusedException} naming the file, line and column.
 */
final class SeriesCsv
{
    /** A column read from a file: its values in file order and the 1-based file line of each. */
    record Series(Path file, String column, double[] values, int[] lines)
    {
        int length()
        {
            return values.length;
        }
    }

    private SeriesCsv()
    {
    }

    static Series read(final Path file, final String column) throws IOException
    {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            return read(reader, file, column);
        }
        catch (final NoSuchFileException ex)
        {
            throw new RefusedException("cannot read " + file + ": no such file; give the path of a CSV file with a header row.");
        }
        catch (final AccessDeniedException ex)
        {
            throw new RefusedException("cannot read " + file + ": permission denied; make it readable or run as its owner.");
        }
        catch (final java.nio.charset.MalformedInputException ex)
        {
            throw new RefusedException("cannot read " + file + ": it is not UTF-8 text; give a CSV file with a header row.");
        }
        catch (final IOException ex)
        {
            if (ex instanceof RefusedException)
            {
                throw ex;
            }
            if (Files.isDirectory(file))
            {
                throw new RefusedException("cannot read " + file + ": it is a directory; give the path of a CSV file.");
            }
            throw new IOException("read " + file + " failed: " + ex.getMessage(), ex);
        }
    }

    static Series read(final BufferedReader reader, final Path file, final String column) throws IOException
    {
        String line = reader.readLine();
        int lineNumber = 1;
        while (line != null && line.isBlank())
        {
            line = reader.readLine();
            lineNumber++;
        }
        if (line == null)
        {
            throw new RefusedException(file + " is empty; it needs a header row naming the columns, then one row per bucket.");
        }
        final String[] header = splitHeader(line);
        int index = -1;
        for (int i = 0; i < header.length; i++)
        {
            if (header[i].equals(column))
            {
                index = i;
                break;
            }
        }
        if (index < 0 && header.length == 1)
        {
            // Not a CSV at all (a log, JSON, /etc/passwd): its first line is no list of column names to offer.
            throw new RefusedException(file + " line " + lineNumber + " is not a CSV header (no comma-separated column names); " +
                "give a series CSV such as 'presync trace aggregate' writes (ts_us,write_bytes,new_bytes,write_requests).");
        }
        if (index < 0)
        {
            final String columns = String.join(", ", header);
            throw new RefusedException(file + " line " + lineNumber + " has no column '" + column + "'; the columns are " +
                (columns.length() <= 200 ? columns : columns.substring(0, 200) + "...") + ": pass one of them with --column.");
        }

        double[] values = new double[1024];
        int[] lines = new int[1024];
        int count = 0;
        while ((line = reader.readLine()) != null)
        {
            lineNumber++;
            if (line.isBlank())
            {
                continue;
            }
            final String cell = cell(line, index);
            if (cell == null)
            {
                throw new RefusedException(file + " line " + lineNumber + " has no cell for column '" + column +
                    "' (column " + (index + 1) + "); complete or remove that row.");
            }
            final double value = parse(cell);
            if (!Double.isFinite(value))
            {
                throw new RefusedException(file + " line " + lineNumber + ", column '" + column + "': '" + cell +
                    "' is not a number; fix or remove that row.");
            }
            if (count == values.length)
            {
                values = Arrays.copyOf(values, count * 2);
                lines = Arrays.copyOf(lines, count * 2);
            }
            values[count] = value;
            lines[count] = lineNumber;
            count++;
        }
        return new Series(file, column, Arrays.copyOf(values, count), Arrays.copyOf(lines, count));
    }

    /** The header's names, trimmed, with surrounding double quotes removed. */
    static String[] splitHeader(final String line)
    {
        final String text = line.startsWith("\uFEFF") ? line.substring(1) : line;
        final String[] names = text.split(",", -1);
        final List<String> out = new ArrayList<>(names.length);
        for (final String raw : names)
        {
            String name = raw.trim();
            if (name.length() >= 2 && name.charAt(0) == '"' && name.charAt(name.length() - 1) == '"')
            {
                name = name.substring(1, name.length() - 1).replace("\"\"", "\"").trim();
            }
            out.add(name);
        }
        return out.toArray(new String[0]);
    }

    /** The index-th comma-separated cell of a line, trimmed, or null when the line has fewer cells. */
    private static String cell(final String line, final int index)
    {
        int start = 0;
        for (int i = 0; i < index; i++)
        {
            final int comma = line.indexOf(',', start);
            if (comma < 0)
            {
                return null;
            }
            start = comma + 1;
        }
        final int end = line.indexOf(',', start);
        return line.substring(start, end < 0 ? line.length() : end).trim();
    }

    /** NaN for anything that is not a finite decimal number (including "NaN" and "Infinity"). */
    private static double parse(final String cell)
    {
        if (cell.isEmpty())
        {
            return Double.NaN;
        }
        final char first = cell.charAt(0);
        if (!(first >= '0' && first <= '9') && first != '-' && first != '+' && first != '.')
        {
            return Double.NaN;
        }
        final char last = cell.charAt(cell.length() - 1);
        if (!(last >= '0' && last <= '9') && last != '.')
        {
            return Double.NaN; // Double.parseDouble accepts "1d" and "1f"; a CSV number does not end in a letter
        }
        try
        {
            return Double.parseDouble(cell);
        }
        catch (final NumberFormatException ex)
        {
            return Double.NaN;
        }
    }
}
