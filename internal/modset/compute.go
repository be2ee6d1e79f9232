package modset

import (
	"context"
	"errors"
)

// compute is a placeholder until the module-set walker lands; its owner replaces this file.
func compute(ctx context.Context, opts Options) (*Set, error) {
	return nil, errors.New("modset: not built yet")
}
