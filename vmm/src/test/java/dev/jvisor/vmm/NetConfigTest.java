package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.slirp.HostForward;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetConfigTest {
    @Test
    void userWithForwardsMacAndRate() {
        NetConfig n = NetConfig.parse("user,hostfwd=tcp:127.0.0.1:8022-:22,hostfwd=udp::5353-:53,mac=52:54:00:12:34:56,rate=1M/s");
        assertThat(n.attachment()).isEqualTo(new NetConfig.User(List.of(HostForward.parse("tcp:127.0.0.1:8022-:22"),
                HostForward.parse("udp::5353-:53"))));
        assertThat(n.mac()).contains(MacAddress.parse("52:54:00:12:34:56"));
        assertThat(n.rate().bytes().size()).isEqualTo(1 << 20);
    }

    @Test
    void switchAndTap() {
        assertThat(NetConfig.parse("switch=lab").attachment()).isEqualTo(new NetConfig.Switch("lab"));
        assertThat(NetConfig.parse("tap=tap7").attachment()).isEqualTo(new NetConfig.Tap("tap7"));
        assertThat(NetConfig.parse("tap").attachment()).isEqualTo(new NetConfig.Tap(""));
        assertThat(NetConfig.parse("tap").mac()).isEmpty();
    }

    @Test
    void errorsNameTheProblem() {
        assertThatThrownBy(() -> NetConfig.parse("mac=52:54:00:12:34:56")).hasMessageContaining("exactly one of user");
        assertThatThrownBy(() -> NetConfig.parse("user,switch=a")).hasMessageContaining("exactly one of user");
        assertThatThrownBy(() -> NetConfig.parse("user=x")).hasMessageContaining("'user' takes no value");
        assertThatThrownBy(() -> NetConfig.parse("switch")).hasMessageContaining("'switch' needs a value");
        assertThatThrownBy(() -> NetConfig.parse("switch=lab,hostfwd=tcp::1-:2")).hasMessageContaining("only with user");
        assertThatThrownBy(() -> NetConfig.parse("user,hostfwd=tcp:1-2")).hasMessageStartingWith("--net: bad hostfwd");
        assertThatThrownBy(() -> NetConfig.parse("user,hostfwd")).hasMessageContaining("hostfwd needs a value");
        assertThatThrownBy(() -> NetConfig.parse("user,mac=zz")).hasMessageStartingWith("--net: bad MAC address 'zz'");
        assertThatThrownBy(() -> NetConfig.parse("user,mac=01:00:5e:00:00:01")).hasMessageContaining("multicast");
        assertThatThrownBy(() -> NetConfig.parse("user,model=e1000")).hasMessageContaining("unknown option 'model'");
        assertThatThrownBy(() -> NetConfig.parse("tap,tap=x")).hasMessageContaining("'tap' is given 2 times");
    }
}
