// Package cim owns the CIM-XML wire protocol (DMTF DSP0200/DSP0201) as far as
// this project needs it: encoding and decoding of EnumerateInstances and
// GetInstance messages, a small client that reads the remote copy instances
// of an array and joins them to volume names, and a server-side handler that
// the simulator uses.
package cim
