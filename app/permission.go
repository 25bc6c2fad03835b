package app

// Permission names an action a user may take; the names are Octopus's.
type Permission string

// Permissions checked by the API and the portal.
const (
	PermAdministerSystem  Permission = "AdministerSystem"
	PermSpaceView         Permission = "SpaceView"
	PermEnvironmentView   Permission = "EnvironmentView"
	PermEnvironmentCreate Permission = "EnvironmentCreate"
	PermEnvironmentEdit   Permission = "EnvironmentEdit"
	PermEnvironmentDelete Permission = "EnvironmentDelete"
	PermMachineView       Permission = "MachineView"
	PermMachineCreate     Permission = "MachineCreate"
	PermMachineEdit       Permission = "MachineEdit"
	PermMachineDelete     Permission = "MachineDelete"
	PermProjectView       Permission = "ProjectView"
	PermProjectCreate     Permission = "ProjectCreate"
	PermProjectEdit       Permission = "ProjectEdit"
	PermProjectDelete     Permission = "ProjectDelete"
	PermProjectGroupView  Permission = "ProjectGroupView"
	PermProjectGroupEdit  Permission = "ProjectGroupEdit"
	PermLifecycleView     Permission = "LifecycleView"
	PermLifecycleEdit     Permission = "LifecycleEdit"
	PermUserView          Permission = "UserView"
	PermUserEdit          Permission = "UserEdit"
	PermEventView         Permission = "EventView"

	PermVariableView           Permission = "VariableView"
	PermVariableEdit           Permission = "VariableEdit"
	PermLibraryVariableSetView Permission = "LibraryVariableSetView"
	PermLibraryVariableSetEdit Permission = "LibraryVariableSetEdit"
	PermTaskView               Permission = "TaskView"
	PermTaskCancel             Permission = "TaskCancel"
	PermTaskCreate             Permission = "TaskCreate"

	PermProcessEdit   Permission = "ProcessEdit"
	PermReleaseView   Permission = "ReleaseView"
	PermReleaseCreate Permission = "ReleaseCreate"
	PermReleaseDelete Permission = "ReleaseDelete"

	PermDeploymentCreate   Permission = "DeploymentCreate"
	PermDeploymentView     Permission = "DeploymentView"
	PermInterruptionView   Permission = "InterruptionView"
	PermInterruptionSubmit Permission = "InterruptionSubmit"
	PermArtifactView       Permission = "ArtifactView"
)

// viewPermissions are granted to every active user until teams and roles
// (a later issue) make them assignable.
var viewPermissions = map[Permission]bool{
	PermSpaceView: true, PermEnvironmentView: true, PermMachineView: true,
	PermProjectView: true, PermProjectGroupView: true, PermLifecycleView: true,
	PermVariableView: true, PermLibraryVariableSetView: true, PermReleaseView: true,
	PermTaskView: true, PermDeploymentView: true, PermInterruptionView: true, PermArtifactView: true,
}

// Can reports whether u holds perm. Administrators hold every permission;
// other active users may view. A nil or inactive user holds none.
func (u *User) Can(perm Permission) bool {
	if u == nil || !u.IsActive {
		return false
	}
	return u.IsAdmin || viewPermissions[perm]
}
