package dev.jvisor.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jvisor} command line. */
@Command(name = "jvisor", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A hypervisor in Java: runs VMs on KVM or on a pure-Java x86-64 emulator.",
        subcommands = {RunCommand.class, ImageCommand.class, BenchCommand.class, TraceDiffCommand.class,
                DaemonCommand.class, VmCommand.class, NetCommand.class, HostCommand.class, FirecrackerCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The configured command line: errors become one "jvisor: ..." line and exit status 1 (set
     * JVISOR_DEBUG to also see the stack trace); usage errors print the usage and exit with 2.
     */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("jvisor: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (System.getenv("JVISOR_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"jvisor " + (v != null ? v : "development build"),
                    "Java " + Runtime.version()};
        }
    }
}
