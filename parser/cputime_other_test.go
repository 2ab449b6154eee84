//go:build !unix

package parser

import "time"

func processCPU() time.Duration { return 0 }
