// Command soak drives many races through a real allocator process in local mode, with faults, and checks that it comes back clean.
package main
