/** Serial ports: the 16550A UART. */
package dev.jvisor.devices.serial;
