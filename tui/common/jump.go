package common

// JumpMsg asks the router to show another screen and hand it this message,
// so that screen can select the item: the Tuner sends {Runs, run id} when the
// user opens a trial's run.
type JumpMsg struct {
	Screen ScreenID
	ID     string
}
