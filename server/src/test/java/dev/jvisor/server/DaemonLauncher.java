package dev.jvisor.server;

import java.nio.file.Path;

/** Runs a daemon on the state directory given as the argument until the process is killed (tests). */
public final class DaemonLauncher {
    private DaemonLauncher() {
    }

    public static void main(String[] args) throws Exception {
        Daemon d = Daemon.start(Daemon.Config.defaults(Path.of(args[0])).withWorkers(1));
        System.out.println("ready " + d.socket());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
