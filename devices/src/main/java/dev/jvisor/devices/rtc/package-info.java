/** The CMOS real-time clock and NVRAM (MC146818-compatible). */
package dev.jvisor.devices.rtc;
