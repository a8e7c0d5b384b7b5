package io.presync.cli;

import io.presync.RefusedException;
import io.presync.device.DeviceCopy;
import io.presync.replicate.ReplicationJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * The {@code presync} command. Exit codes: 0 success, 2 bad usage or refused input, 1 failure.
 * Errors a user can cause print one sentence, never a stack trace ({@code PRESYNC_DEBUG=1} adds it).
 */
@Command(
    name = Main.NAME,
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = Main.DESCRIPTION,
    subcommands = {
        CommandLine.HelpCommand.class,
        CopyCommand.class,
        DeviceCommand.class,
        ForecastCommand.class,
        PoolCommand.class,
        TapCommand.class,
        LogCommand.class,
        TraceCommand.class,
        ExportCommand.class,
        PlanCommand.class,
        ReplicateCommand.class,
        VerifyCommand.class,
        RepairCommand.class,
    })
public final class Main implements Runnable
{
    static final String NAME = "presync";
    static final String VERSION = "presync 0.1.0";
    static final String DESCRIPTION = "Replicates a live master block volume into a right-sized partition of a slave pool.";

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    public static void main(final String[] args)
    {
        final String training = System.getProperty("presync.aotTraining");
        if (training != null)
        {
            System.exit(train(java.nio.file.Path.of(training)));
        }
        Timeline.mark("main");
        final boolean copy = args.length > 0 && args[0].equals("copy");
        if (copy)
        {
            linkAhead(DeviceCopy::linkNativeCalls);
        }
        else if (args.length > 0 && args[0].equals("replicate"))
        {
            linkAhead(ReplicationJob::linkNativeCalls);
        }
        final PrintWriter err = new PrintWriter(System.err, true);
        final int code = execute(args, new PrintWriter(System.out, true), err);
        Timeline.mark("exit");
        Timeline.record("link thread started", TimedLink.startNanos);
        Timeline.record("link thread done", TimedLink.doneNanos);
        Timeline.print(err);
        if (copy)
        {
            // execute() flushed both streams and copy registers no shutdown hook: halt skips the
            // hook machinery of System.exit (a few ms of a short copy's process).
            Runtime.getRuntime().halt(code);
        }
        System.exit(code);
    }

    /**
     * The start-up cache's training run (scripts/lib.sh, -Dpresync.aotTraining=FILE): runs each line of
     * FILE (arguments separated by tabs) as a command in this one process, so that a single JDK AOT cache
     * holds the classes and profiles of every command trained (a copy, a pool, a replication and a verify)
     * instead of only those of one. Output goes to the process's streams; returns the first non-zero exit
     * code (0 when every command succeeded).
     */
    static int train(final java.nio.file.Path commands)
    {
        final java.util.List<String> lines;
        try
        {
            lines = java.nio.file.Files.readAllLines(commands);
        }
        catch (final IOException ex)
        {
            System.err.println("presync: cannot read the training commands " + commands + ": " + ex.getMessage());
            return EXIT_FAILURE;
        }
        final PrintWriter out = new PrintWriter(System.out, true);
        final PrintWriter err = new PrintWriter(System.err, true);
        int first = EXIT_OK;
        for (final String line : lines)
        {
            if (line.isBlank())
            {
                continue;
            }
            final int code = execute(line.split("\t"), out, err);
            first = first == EXIT_OK ? code : first;
        }
        return first;
    }

    /**
     * Runs {@code link} on a daemon thread: linking native calls (FFM downcall handles) is tens of
     * milliseconds of a short command's start-up that can overlap picocli building its model on the
     * main thread. The main thread needs no coordination: when it reaches a call whose class is still
     * being initialised there, it waits for that initialisation rather than repeating it.
     */
    static void linkAhead(final Runnable link)
    {
        final Thread thread = new Thread(Timeline.ENABLED ? new TimedLink(link) : link, "presync-link");
        thread.setDaemon(true);
        thread.start();
    }

    /** A link run that leaves its start and end for the timeline (-Dpresync.timeline=true only). */
    private record TimedLink(Runnable link) implements Runnable
    {
        static volatile long startNanos;
        static volatile long doneNanos;

        @Override
        public void run()
        {
            startNanos = System.nanoTime();
            link.run();
            doneNanos = System.nanoTime();
        }
    }

    /** Runs the command line with the given streams and returns the exit code (tests call this). */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err)
    {
        final CommandLine commandLine = commandLineFor(args);
        Timeline.mark("command model built");
        return execute(commandLine, args, out, err);
    }

    /** Runs the command line on {@code commandLine} (tests compare the full tree with {@link #commandLineFor}'s). */
    static int execute(final CommandLine commandLine, final String[] args, final PrintWriter out, final PrintWriter err)
    {
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExitCodeExceptionMapper(Main::exitCodeOf);
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            final Throwable cause = unwrap(ex);
            cmd.getErr().println("presync: " + messageOf(cause));
            if (System.getenv("PRESYNC_DEBUG") != null)
            {
                cause.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return exitCodeOf(cause);
        });
        final int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The command tree for these arguments. Picocli builds the model of every subcommand it is given by
     * reflection, which is most of the start-up of a short command; when the first argument names a
     * subcommand, only that one is built, under a root equal to Main without subcommands
     * ({@link #leanRoot()}, built in code). {@code copy}, which is all start-up and one copy, and
     * {@code replicate}, whose time to synced counts from the process's start, have their models built in
     * code too ({@link CopyCommand#model()}, {@link ReplicateCommand#model()}): no annotation is parsed on
     * their way.
     * Anything else (no argument, an option such as --help, a misspelt name) gets the full tree, so
     * help and error messages list every subcommand.
     */
    static CommandLine commandLineFor(final String[] args)
    {
        if (args.length > 0 && (args[0].equals("copy") || args[0].equals("replicate")))
        {
            final CommandLine lean = new CommandLine(leanRoot());
            lean.addSubcommand(new CommandLine(args[0].equals("copy") ? CopyCommand.model() : ReplicateCommand.model()));
            return lean;
        }
        if (args.length > 0 && !args[0].startsWith("-"))
        {
            for (final Class<?> subcommand : Main.class.getAnnotation(Command.class).subcommands())
            {
                final Command command = subcommand.getAnnotation(Command.class);
                if (command != null && subcommand != CommandLine.HelpCommand.class && names(command, args[0]))
                {
                    final CommandLine lean = new CommandLine(leanRoot());
                    lean.addSubcommand(new CommandLine(subcommand));
                    return lean;
                }
            }
        }
        return new CommandLine(new Main());
    }

    private static boolean names(final Command command, final String name)
    {
        if (command.name().equals(name))
        {
            return true;
        }
        for (final String alias : command.aliases())
        {
            if (alias.equals(name))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Main without subcommands, built in code (see {@link #commandLineFor}); keep its name, version and
     * description equal to Main's annotation (MainTest compares them). It is never executed itself:
     * the first argument always names its one subcommand.
     */
    static CommandLine.Model.CommandSpec leanRoot()
    {
        final CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.create();
        spec.name(NAME);
        spec.version(VERSION);
        spec.usageMessage().description(DESCRIPTION);
        addStandardHelpOptions(spec);
        return spec;
    }

    /**
     * The options {@code mixinStandardHelpOptions = true} adds, without the reflection picocli uses to
     * add them (it builds them from an annotated mixin class).
     */
    static void addStandardHelpOptions(final CommandLine.Model.CommandSpec spec)
    {
        spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
            .description("Show this help message and exit.").build());
        spec.addOption(CommandLine.Model.OptionSpec.builder("-V", "--version").versionHelp(true)
            .description("Print version information and exit.").build());
    }

    /**
     * Whether a person is watching: progress lines go to a terminal only. {@code System.console()}
     * alone is not enough since JDK 22, where it may be non-null with redirected streams.
     */
    static boolean onTerminal()
    {
        final java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    static int exitCodeOf(final Throwable t)
    {
        if (t instanceof RefusedException || t instanceof IllegalArgumentException ||
            t instanceof CommandLine.ParameterException)
        {
            return EXIT_USAGE;
        }
        return EXIT_FAILURE;
    }

    private static Throwable unwrap(final Throwable t)
    {
        Throwable c = t;
        while (c instanceof java.lang.reflect.UndeclaredThrowableException || c instanceof java.io.UncheckedIOException)
        {
            if (c.getCause() == null)
            {
                break;
            }
            c = c.getCause();
        }
        return c;
    }

    private static String messageOf(final Throwable t)
    {
        final String message = t.getMessage();
        if (message == null || message.isBlank())
        {
            return t.getClass().getSimpleName();
        }
        return t instanceof IOException || t instanceof IllegalArgumentException || t instanceof IllegalStateException ?
            message : t.getClass().getSimpleName() + ": " + message;
    }
}
