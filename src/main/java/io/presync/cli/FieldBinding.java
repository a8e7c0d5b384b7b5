package io.presync.cli;

import picocli.CommandLine;

/**
 * One option's field of a command built in code ({@code CopyCommand.model()}, {@code ReplicateCommand.model()},
 * {@code JobOptions.addTo}), read and written by its index as picocli's reflective binding would, without
 * reflection or lambdas: each lambda or reflective accessor is a class generated at start-up, which is what the
 * in-code models are there to avoid. A subclass maps the index to its field in {@link #read} and {@link #write}.
 */
abstract class FieldBinding implements CommandLine.Model.IGetter, CommandLine.Model.ISetter
{
    private final int field;

    FieldBinding(final int field)
    {
        this.field = field;
    }

    /** The current value of field {@code field}. */
    abstract Object read(int field);

    /** Stores {@code value} (of the option's type) in field {@code field}. */
    abstract void write(int field, Object value);

    @Override
    @SuppressWarnings("unchecked")
    public final <T> T get()
    {
        return (T)read(field);
    }

    @Override
    public final <T> T set(final T value)
    {
        final T previous = get();
        write(field, value);
        return previous;
    }
}
