/** Small legacy PC ports: the i8042 keyboard controller, the POST code port, the 0xCF9 reset control. */
package dev.jvisor.devices.legacy;
