package escrow

import "context"

var ctx0 = context.Background()
