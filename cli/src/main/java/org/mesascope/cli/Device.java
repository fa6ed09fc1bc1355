package org.mesascope.cli;

/** Where forward passes run ({@code --device}: cpu, auto or cuda). */
enum Device {
    CPU, AUTO, CUDA
}
