package provider

// Noter is a Provider with something a person should know about a slot it deployed to, such as
// another certificate that still serves the slot's domain beside the new one.
type Noter interface {
	// Note returns what to add to the report reason of slot after a successful Deploy in this
	// run, or "". It makes no call.
	Note(slot Slot) string
}
