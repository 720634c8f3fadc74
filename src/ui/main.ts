// Browser entry: registers the app's elements.
import './ft-app.ts';
