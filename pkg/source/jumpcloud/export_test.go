package jumpcloud

// SetBufferHook sets the sync pipeline's test hook: hook is called each
// time a page enters the buffer, with the bytes and pages then held and
// the budget.
func SetBufferHook(o *SyncOptions, hook func(held, limit int64, pages int)) { o.bufferHook = hook }
