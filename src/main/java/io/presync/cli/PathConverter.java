package io.presync.cli;

import picocli.CommandLine;

import java.nio.file.Path;

/**
 * A path option's converter for models built in code: picocli's own Path converter is found and called by
 * reflection, which spins method-handle classes at start-up; this one is plain.
 */
final class PathConverter implements CommandLine.ITypeConverter<Path>
{
    @Override
    public Path convert(final String value)
    {
        return Path.of(value);
    }
}
