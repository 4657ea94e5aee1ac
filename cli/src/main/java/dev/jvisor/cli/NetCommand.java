package dev.jvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jvisor net list}: the daemon's virtual switches. */
@Command(name = "net", mixinStandardHelpOptions = true, description = "The daemon's virtual networks.",
        subcommands = {NetCommand.ListNets.class})
final class NetCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List virtual switches, connected ports and the VMs on them.")
    static final class ListNets implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Override
        public Integer call() throws Exception {
            JsonNode nets = client.json("GET", "/v1/networks", null);
            System.out.printf("%-20s %5s  %s%n", "SWITCH", "PORTS", "VMS");
            for (JsonNode n : nets) {
                List<String> vms = new ArrayList<>();
                n.get("vms").forEach(v -> vms.add(v.asText()));
                System.out.printf("%-20s %5d  %s%n", n.get("name").asText(), n.get("connected_ports").asInt(),
                        vms.isEmpty() ? "-" : String.join(", ", vms));
            }
            return 0;
        }
    }
}
