"""Motion simulation: smooth joint trajectories, leg kinematics, IMU models and scripted sessions."""
