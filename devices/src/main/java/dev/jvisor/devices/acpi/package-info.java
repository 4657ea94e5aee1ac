/** ACPI fixed hardware: the PM1 event and control blocks and the PM timer. */
package dev.jvisor.devices.acpi;
